import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { environment, loadConfig } from '@herald/config';
import { PresenceStore, RedisKeys, type RedisClient } from '@herald/bus';
import { testRedisClient, call, callOk, createTenant, startStack, type Stack, type Tenant } from '@herald/testing';

// hereNow over REST: members are joined straight through the PresenceStore on the stack's own Redis
// prefix (no gateway), then read back through both routes of the API process.
let stack: Stack;
let redis: RedisClient;
let store: PresenceStore;
let t: Tenant;

before(async () => {
  stack = await startStack({ gateways: 0, workers: 0 });
  redis = testRedisClient(stack.env);
  store = new PresenceStore(redis, RedisKeys.of(loadConfig({ ...environment(), ...stack.env })));
  t = await createTenant(stack.apiUrl);
});

after(async () => {
  redis?.disconnect();
  await stack?.stop();
});

type GoEasyHereNow = { code: number; content: { channel: string; amount: number; members: Array<{ id: string; data: Record<string, unknown> }> } };
type HereNow = GoEasyHereNow['content'];
const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

test('herenow of an empty channel: amount 0 in both forms', async () => {
  const ge = await callOk<GoEasyHereNow>(stack.apiUrl, 'GET', `/v2/pubsub/herenow?appkey=${t.commonKey}&channel=lobby`);
  assert.deepEqual(ge, { code: 200, content: { channel: 'lobby', amount: 0, members: [] } });
  const v1 = await callOk<HereNow>(stack.apiUrl, 'GET', '/v1/channels/lobby/presence', { token: t.subscribeKey });
  assert.deepEqual(v1, { channel: 'lobby', amount: 0, members: [] });
});

test('members joined through the store are listed by both routes', async () => {
  const leaseMs = 60_000;
  await store.join(t.appId, 'room', { connId: 'c1', userId: 'ann', data: { name: 'Ann' }, leaseMs });
  await store.join(t.appId, 'room', { connId: 'c2', userId: 'ann', data: { name: 'Ann' }, leaseMs });
  await store.join(t.appId, 'room', { connId: 'c3', userId: 'bob', leaseMs });
  const members = [{ id: 'ann', data: { name: 'Ann' } }, { id: 'bob', data: {} }];

  const ge = await callOk<GoEasyHereNow>(stack.apiUrl, 'GET', `/v2/pubsub/herenow?appkey=${t.commonKey}&channel=room`);
  assert.deepEqual([ge.code, ge.content.channel, ge.content.amount], [200, 'room', 2]);
  assert.deepEqual(ge.content.members.sort(byId), members);

  const v1 = await callOk<HereNow>(stack.apiUrl, 'GET', '/v1/channels/room/presence', { token: t.secret });
  assert.deepEqual({ ...v1, members: v1.members.sort(byId) }, { channel: 'room', amount: 2, members });
  const one = await callOk<HereNow>(stack.apiUrl, 'GET', `/v1/channels/room/presence?limit=1&appkey=${t.commonKey}`);
  assert.deepEqual([one.amount, one.members.length], [2, 1]);

  // Another app's same-named channel is empty.
  const other = await createTenant(stack.apiUrl);
  assert.equal((await callOk<HereNow>(stack.apiUrl, 'GET', '/v1/channels/room/presence', { token: other.commonKey })).amount, 0);
});

test('errors keep the GoEasy shape', async () => {
  const bad = await call(stack.apiUrl, 'GET', '/v2/pubsub/herenow?appkey=BC-nosuchkey000000000000&channel=room');
  assert.deepEqual([bad.status, bad.body.code, typeof bad.body.content, bad.body.reason], [401, 401, 'string', 'invalid_key']);
  const none = await call(stack.apiUrl, 'GET', '/v2/pubsub/herenow?channel=room');
  assert.deepEqual([none.status, none.body.code], [401, 401]);
  const noChannel = await call(stack.apiUrl, 'GET', `/v2/pubsub/herenow?appkey=${t.commonKey}`);
  assert.deepEqual([noChannel.status, noChannel.body.code, noChannel.body.reason], [400, 400, 'invalid_channel']);
  const badLimit = await call(stack.apiUrl, 'GET', '/v1/channels/room/presence?limit=0', { token: t.commonKey });
  assert.deepEqual([badLimit.status, badLimit.body.reason], [400, 'invalid_request']);
  // Who is on a private channel is as private as its history: the secret only.
  const priv = await call(stack.apiUrl, 'GET', '/v1/channels/private-x/presence', { token: t.commonKey });
  assert.deepEqual([priv.status, priv.body.reason], [403, 'token_required']);
  assert.equal((await call(stack.apiUrl, 'GET', '/v1/channels/private-x/presence', { token: t.secret })).status, 200);
});
