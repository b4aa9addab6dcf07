import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebhookReceiver, WsClient, callOk, createTenant, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';
import { RawPusher, connected, disconnectAll, pusherJs, serverLibrary, type PusherClient } from './pusher-clients.js';

// Pusher client events (`client-*`): pusher-js and raw sockets on one gateway, a worker for webhooks.
let stack: Stack;
let rx: WebhookReceiver;
before(async () => {
  stack = await startStack({ gateways: 1, workers: 1 });
  rx = await WebhookReceiver.start();
});
after(async () => {
  disconnectAll();
  await rx.stop();
  await stack.stop();
});

const gw = () => stack.gateways[0].url;

async function tenantWithClientEvents(enabled = true): Promise<Tenant> {
  const t = await createTenant(stack.apiUrl);
  const app = await callOk<{ clientEvents: boolean }>(stack.apiUrl, 'PATCH', `/v1/apps/${t.appId}`, { token: t.token, json: { clientEvents: enabled } });
  assert.equal(app.clientEvents, enabled);
  return t;
}

async function subscribed(p: PusherClient, channel: string) {
  await connected(p);
  const ch = p.subscribe(channel);
  await waitFor(() => ch.subscribed, { what: `subscribed to ${channel}` });
  return ch;
}

/** A raw socket subscribed to a private or presence channel with a valid auth. */
async function rawOn(t: Tenant, channel: string, key = t.commonKey): Promise<RawPusher> {
  const c = RawPusher.open(gw(), key);
  const id = await c.socketId();
  const auth = serverLibrary(stack, t).authorizeChannel(id, channel, channel.startsWith('presence-') ? { user_id: `u${id.split('.')[0]}` } : undefined);
  c.send('pusher:subscribe', { channel, ...auth });
  await c.next('pusher_internal:subscription_succeeded', channel);
  return c;
}

/** A client event frame as pusher-js sends it (`channel` beside `data`). */
function clientEvent(c: RawPusher, event: string, channel: string, data: unknown): void {
  c.ws.send(JSON.stringify({ event, channel, data }));
}

let barriers = 0;
/** Every frame sent before was handled: the gateway handles a socket's frames in order, so a subscribe answered after them is a barrier. */
async function settled(c: RawPusher): Promise<void> {
  const channel = `barrier-${++barriers}`;
  c.send('pusher:subscribe', { channel });
  await c.next('pusher_internal:subscription_succeeded', channel);
}

test('pusher-js client events: to the others, not echoed; user_id on presence; in the channel log; a client.event webhook', async () => {
  const t = await tenantWithClientEvents();
  await callOk(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url: rx.url, events: ['client.event'] } });
  const alice = pusherJs(stack, t, { user: { user_id: 'alice' } });
  const bob = pusherJs(stack, t, { user: { user_id: 'bob' } });
  const herald = await WsClient.connect(stack.wsUrl(0), t.commonKey);
  await herald.subscribe('presence-chat');
  const [a, b] = [await subscribed(alice, 'presence-chat'), await subscribed(bob, 'presence-chat')];
  const seen: Array<{ who: string; data: unknown; userId?: string }> = [];
  a.bind('client-typing', (data: unknown, meta?: { user_id?: string }) => seen.push({ who: 'alice', data, userId: meta?.user_id }));
  b.bind('client-typing', (data: unknown, meta?: { user_id?: string }) => seen.push({ who: 'bob', data, userId: meta?.user_id }));
  assert.equal(a.trigger('client-typing', { on: true }), true);
  await waitFor(() => seen.length === 1, { what: 'bob gets it' });
  assert.deepEqual(seen, [{ who: 'bob', data: { on: true }, userId: 'alice' }]);

  // Private channel: no user_id. The Herald subscriber sees both in the one channel log.
  const pa = await subscribed(alice, 'private-room');
  const pb = await subscribed(bob, 'private-room');
  const got: unknown[] = [];
  pb.bind('client-note', (data: unknown, meta?: { user_id?: string }) => got.push({ data, meta }));
  pa.trigger('client-note', 'plain text');
  await waitFor(() => got.length === 1, { what: 'private client event' });
  assert.deepEqual(got, [{ data: 'plain text', meta: {} }]);
  const logged = await herald.waitForMessages(1, 'presence-chat');
  assert.deepEqual([logged[0].event, logged[0].content, logged[0].user_id], ['client-typing', { on: true }, 'alice']);

  // One webhook per client event; channels in different shards of the events feed may arrive in either order.
  const hooks = await rx.waitForEvents(2, 'client.event');
  assert.deepEqual(hooks.map((h) => h.channel).sort(), ['presence-chat', 'private-room']);
  const hook = hooks.find((h) => h.channel === 'presence-chat')!;
  const d = hook.data as { channel: string; event: string; data: unknown; socket_id: string; user_id?: string };
  assert.deepEqual([d.channel, d.event, d.data, d.user_id], ['presence-chat', 'client-typing', { on: true }, 'alice']);
  assert.equal(d.socket_id, alice.connection.socket_id);
  herald.close();
});

test('refused with pusher:error (code null), nothing delivered: disabled app, public channel, not subscribed, subscribe key', async () => {
  const off = await tenantWithClientEvents(false);
  const sender = await rawOn(off, 'private-x');
  const listener = await rawOn(off, 'private-x');
  clientEvent(sender, 'client-hi', 'private-x', {});
  const disabled = JSON.parse((await sender.next('pusher:error')).data) as { code: number | null; message: string };
  assert.equal(disabled.code, null);
  assert.match(disabled.message, /not enabled/);

  const t = await tenantWithClientEvents();
  const s = await rawOn(t, 'private-y');
  const l = await rawOn(t, 'private-y');
  s.send('pusher:subscribe', { channel: 'lobby' });
  await s.next('pusher_internal:subscription_succeeded', 'lobby');
  clientEvent(s, 'client-hi', 'lobby', {});
  clientEvent(s, 'client-hi', 'private-other', {});
  clientEvent(s, 'client-hi', 'private-y', {});
  await settled(s);
  const errors = s.events.filter((e) => e.event === 'pusher:error').map((e) => JSON.parse(e.data) as { code: number | null; message: string });
  assert.deepEqual(errors.map((e) => e.code), [null, null]);
  assert.match(errors[0].message, /only supported on private and presence/);
  assert.match(errors[1].message, /not subscribed/);
  await l.next('client-hi', 'private-y'); // the one valid event went through

  // A subscribe key connects and reads private channels, but may not send client events.
  const ro = await rawOn(t, 'private-y', t.subscribeKey);
  clientEvent(ro, 'client-hi', 'private-y', { from: 'ro' });
  assert.match((JSON.parse((await ro.next('pusher:error')).data) as { message: string }).message, /subscribe key/);
  await settled(l);
  await settled(listener);
  assert.equal(l.events.filter((e) => e.event === 'client-hi').length, 1);
  assert.equal(listener.events.filter((e) => e.event === 'client-hi').length, 0);

  // Tenant isolation: the same channel name in another app hears nothing of this one's client events.
  const otherApp = await rawOn(off, 'private-y');
  clientEvent(s, 'client-hi', 'private-y', { n: 2 });
  await waitFor(() => l.events.filter((e) => e.event === 'client-hi').length === 2, { what: 'second event' });
  await settled(otherApp);
  assert.equal(otherApp.events.filter((e) => e.event === 'client-hi').length, 0);
  for (const c of [sender, listener, s, l, ro, otherApp]) c.close();
});

test("over the plan's client-event rate (10/s): pusher:error 4301, the socket stays open, the rest delivered", async () => {
  const t = await tenantWithClientEvents();
  const s = await rawOn(t, 'private-fast');
  const l = await rawOn(t, 'private-fast');
  for (let i = 0; i < 30; i++) clientEvent(s, 'client-tick', 'private-fast', { i });
  await settled(s);
  const limited = s.events.filter((e) => e.event === 'pusher:error').map((e) => (JSON.parse(e.data) as { code: number }).code);
  assert.ok(limited.length >= 15, `most of 30 at once are refused (refused ${limited.length})`);
  assert.ok(limited.every((c) => c === 4301));
  const delivered = 30 - limited.length;
  await waitFor(() => l.events.filter((e) => e.event === 'client-tick').length === delivered, { what: `${delivered} ticks` });
  assert.equal(s.closeCode, undefined, 'not closed');
  s.close();
  l.close();
});
