import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { callOk, createTenant, operatorToken, restPublish, startStack, waitFor, type Stack } from '@herald/testing';
import { RawPusher, connected, disconnectAll, pusherJs, serverLibrary } from './pusher-clients.js';

// Pusher's protocol 7 on the gateway's `/app/{key}`, spoken by a bare socket and by the real pusher-js.
let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 1, workers: 0 });
});
after(async () => {
  disconnectAll();
  await stack.stop();
});

const gw = () => stack.gateways[0].url;

test('connection_established, ping/pong, public subscribe; a Herald publish arrives as event `message`', async () => {
  const t = await createTenant(stack.apiUrl);
  const c = RawPusher.open(gw(), t.commonKey);
  const established = JSON.parse((await c.next('pusher:connection_established')).data) as { socket_id: string; activity_timeout: number };
  assert.match(established.socket_id, /^\d+\.\d+$/);
  assert.equal(typeof established.activity_timeout, 'number');
  c.send('pusher:ping', {});
  await c.next('pusher:pong');
  c.send('pusher:subscribe', { channel: 'lobby' });
  const ok = await c.next('pusher_internal:subscription_succeeded', 'lobby');
  assert.equal(ok.channel, 'lobby');
  await restPublish(stack.apiUrl, t.secret, { channel: 'lobby', message: { text: 'hi' } });
  const m = await c.next('message', 'lobby');
  assert.deepEqual(JSON.parse(m.data), { text: 'hi' });
  c.send('pusher:unsubscribe', { channel: 'lobby' });
  c.send('pusher:ping', {});
  await waitFor(() => c.events.filter((e) => e.event === 'pusher:pong').length === 2);
  await restPublish(stack.apiUrl, t.secret, { channel: 'lobby', message: 'after' });
  c.send('pusher:ping', {});
  await waitFor(() => c.events.filter((e) => e.event === 'pusher:pong').length === 3);
  assert.equal(c.events.filter((e) => e.event === 'message').length, 1, 'nothing delivered after unsubscribe');
  c.close();
});

test("refusals use Pusher's codes: unknown key 4001, wrong protocol 4007, origin 4009, suspended 4003", async () => {
  // A malformed escape in the key is an unknown key, not a crash.
  assert.equal(await RawPusher.open(gw(), '%E0%A4%A', { raw: true }).closed(), 4001);
  const unknown = RawPusher.open(gw(), 'BC-nosuchkeynosuchkeynosuchkey');
  assert.equal(await unknown.closed(), 4001);
  assert.equal((JSON.parse((await unknown.next('pusher:error')).data) as { code: number }).code, 4001);
  const t = await createTenant(stack.apiUrl, { planId: 'pro', allowedOrigins: ['https://app.example'] });
  assert.equal(await RawPusher.open(gw(), t.commonKey, { protocol: '4' }).closed(), 4007);
  assert.equal(await RawPusher.open(gw(), t.commonKey, { origin: 'https://evil.example' }).closed(), 4009);
  const live = RawPusher.open(gw(), t.commonKey, { origin: 'https://app.example' });
  await live.next('pusher:connection_established');
  await callOk(stack.apiUrl, 'POST', `/v1/admin/apps/${t.appId}/suspend`, { token: await operatorToken(stack.apiUrl), json: { reason: 'test' } });
  assert.equal(await live.closed(15_000), 4003, 'a live connection of a suspended app');
  await waitFor(async () => (await RawPusher.open(gw(), t.commonKey).closed()) === 4003, { timeoutMs: 15_000, what: 'new connections refused with 4003' });
});

test('pusher-js: public and private channels; a forged or missing auth gets subscription_error and nothing', async () => {
  const t = await createTenant(stack.apiUrl);
  const p = pusherJs(stack, t);
  await connected(p);
  const got: Array<{ channel: string; data: unknown }> = [];
  const lobby = p.subscribe('lobby');
  lobby.bind('message', (data: unknown) => got.push({ channel: 'lobby', data }));
  const priv = p.subscribe('private-room');
  priv.bind('message', (data: unknown) => got.push({ channel: 'private-room', data }));
  await waitFor(() => lobby.subscribed && priv.subscribed, { what: 'both subscribed' });

  // A client whose "server" signs with another app's secret, and one with a tampered signature.
  const other = await createTenant(stack.apiUrl);
  const foreign = serverLibrary(stack, other);
  const forged = pusherJs(stack, t, { authorize: (socketId, channel) => `${t.commonKey}:${foreign.authorizeChannel(socketId, channel).auth.split(':')[1]}` });
  const tampered = pusherJs(stack, t, { authorize: (socketId, channel) => serverLibrary(stack, t).authorizeChannel(socketId, `${channel}x`).auth });
  const errors: Array<{ status: number }> = [];
  const leaked: unknown[] = [];
  for (const client of [forged, tampered]) {
    await connected(client);
    const ch = client.subscribe('private-room');
    ch.bind('pusher:subscription_error', (e: { status: number }) => errors.push(e));
    ch.bind('message', (data: unknown) => leaked.push(data));
  }
  await waitFor(() => errors.length === 2, { what: 'two subscription errors' });
  assert.deepEqual(errors.map((e) => e.status), [401, 401]);
  const bare = RawPusher.open(gw(), t.commonKey);
  await bare.socketId();
  bare.send('pusher:subscribe', { channel: 'private-room' });
  const missing = JSON.parse((await bare.next('pusher:subscription_error', 'private-room')).data) as { type: string; status: number };
  assert.deepEqual([missing.type, missing.status], ['AuthError', 401]);

  await restPublish(stack.apiUrl, t.secret, { channel: 'private-room', message: { n: 1 } });
  await restPublish(stack.apiUrl, t.secret, { channel: 'lobby', message: 'plain' });
  await waitFor(() => got.length === 2, { what: 'both deliveries' });
  assert.deepEqual(got.sort((a, b) => a.channel.localeCompare(b.channel)), [
    { channel: 'lobby', data: 'plain' },
    { channel: 'private-room', data: { n: 1 } },
  ]);
  assert.deepEqual(leaked, []);
  assert.equal(bare.events.filter((e) => e.event === 'message').length, 0);
  bare.close();
  for (const client of [p, forged, tampered]) client.disconnect();
});

test('over the plan’s connection cap a Pusher socket is refused with 4004; a freed slot is reusable', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'free' }); // 100 connections
  const held = Array.from({ length: 100 }, () => RawPusher.open(gw(), t.commonKey));
  await Promise.all(held.map((c) => c.next('pusher:connection_established')));
  const over = RawPusher.open(gw(), t.commonKey);
  assert.equal(await over.closed(), 4004);
  assert.equal((JSON.parse((await over.next('pusher:error')).data) as { code: number }).code, 4004);
  held[0].close();
  await held[0].closed();
  await waitFor(async () => {
    const again = RawPusher.open(gw(), t.commonKey);
    await waitFor(() => again.closeCode !== undefined || again.events.length > 0);
    again.close();
    return again.events[0]?.event === 'pusher:connection_established';
  }, { timeoutMs: 15_000, what: 'a freed slot taken again' });
  for (const c of held) c.close();
});

test('pusher-js stays connected across several ping intervals (pusher:ping answered, never closed 4201)', async () => {
  const t = await createTenant(stack.apiUrl);
  const p = pusherJs(stack, t);
  const states: string[] = [];
  p.connection.bind('state_change', (s: { current: string }) => states.push(s.current));
  await connected(p);
  const got: unknown[] = [];
  const ch = p.subscribe('lobby');
  ch.bind('message', (d: unknown) => got.push(d));
  await waitFor(() => ch.subscribed);
  // The stack pings every 2 s and closes after 2 s more of silence (TEST_TIMINGS): 3 intervals.
  const until = Date.now() + 6_500;
  await waitFor(() => Date.now() > until, { timeoutMs: 10_000, what: 'three ping intervals' });
  assert.equal(p.connection.state, 'connected');
  assert.deepEqual([...states], ['connected'], 'no disconnect or reconnect on the way');
  await restPublish(stack.apiUrl, t.secret, { channel: 'lobby', message: 'still here' });
  await waitFor(() => got.length === 1);
  p.disconnect();
});
