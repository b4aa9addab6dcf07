import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WsClient, callOk, createTenant, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';
import { RawPusher, connected, disconnectAll, pusherJs, serverLibrary } from './pusher-clients.js';

// pusher_internal:subscription_count, checked every 300 ms here (5 s by default), across two gateways.
let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 2, workers: 0, env: { HERALD_PUSHER_SUBSCRIPTION_COUNT_MS: '300' } });
});
after(async () => {
  disconnectAll();
  await stack.stop();
});

async function tenant(subscriptionCount: boolean): Promise<Tenant> {
  const t = await createTenant(stack.apiUrl);
  await callOk(stack.apiUrl, 'PATCH', `/v1/apps/${t.appId}`, { token: t.token, json: { subscriptionCount } });
  return t;
}

const counts = (c: RawPusher, channel: string) =>
  c.events.filter((e) => e.event === 'pusher_internal:subscription_count' && e.channel === channel).map((e) => (JSON.parse(e.data) as { subscription_count: number }).subscription_count);

test('pusher-js hears the channel’s subscriber count (every gateway, Herald clients included) as it changes', async () => {
  const t = await tenant(true);
  const a = pusherJs(stack, t, { gateway: 0 });
  await connected(a);
  const room = a.subscribe('room');
  const heard: number[] = [];
  room.bind('pusher:subscription_count', (d: { subscription_count: number }) => heard.push(d.subscription_count));
  await waitFor(() => heard.at(-1) === 1, { what: 'count 1' });
  const b = pusherJs(stack, t, { gateway: 1 });
  await connected(b);
  b.subscribe('room');
  await waitFor(() => heard.at(-1) === 2, { what: 'count 2 (other gateway)' });
  const herald = await WsClient.connect(stack.wsUrl(1), t.commonKey);
  await herald.subscribe('room');
  await waitFor(() => heard.at(-1) === 3, { what: 'count 3 (a Herald client)' });
  b.disconnect();
  herald.close();
  await waitFor(() => heard.at(-1) === 1, { what: 'back to 1' });
  assert.equal((room as unknown as { subscriptionCount: number }).subscriptionCount, 1, 'pusher-js keeps it on the channel');
  for (let i = 1; i < heard.length; i++) assert.notEqual(heard[i], heard[i - 1], 'sent only when it changes');
});

test('not on presence channels, not for apps that did not enable it, not across apps', async () => {
  const on = await tenant(true);
  const off = await tenant(false);
  const c = RawPusher.open(stack.gateways[0].url, on.commonKey);
  const id = await c.socketId();
  c.send('pusher:subscribe', { channel: 'presence-p', ...serverLibrary(stack, on).authorizeChannel(id, 'presence-p', { user_id: 'u' }) });
  c.send('pusher:subscribe', { channel: 'shared' });
  const o = RawPusher.open(stack.gateways[0].url, off.commonKey);
  await o.socketId();
  o.send('pusher:subscribe', { channel: 'shared' });
  await o.next('pusher_internal:subscription_succeeded', 'shared');
  await waitFor(() => counts(c, 'shared').length === 1, { what: 'first count' });
  const other = RawPusher.open(stack.gateways[1].url, on.commonKey);
  await other.socketId();
  other.send('pusher:subscribe', { channel: 'shared' });
  await waitFor(() => counts(c, 'shared').at(-1) === 2, { what: 'second count' });
  assert.deepEqual(counts(c, 'shared'), [1, 2], "the other app's subscriber of the same name is not counted");
  assert.deepEqual(counts(c, 'presence-p'), []);
  assert.deepEqual(counts(o, 'shared'), [], 'an app without the setting hears nothing');
  for (const s of [c, o, other]) s.close();
});
