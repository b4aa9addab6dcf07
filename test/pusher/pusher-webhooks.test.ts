import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebhookReceiver, WsClient, call, callOk, createTenant, restPublish, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';
import { connected, disconnectAll, pusherJs, serverLibrary } from './pusher-clients.js';

// Webhooks in Pusher's format, verified by the real `pusher` library's webhook check.
const HOLD_MS = 1500;
let stack: Stack;
const receivers: WebhookReceiver[] = [];
before(async () => {
  stack = await startStack({ gateways: 1, workers: 1, env: { HERALD_PUSHER_WEBHOOK_HOLD_MS: String(HOLD_MS) } });
});
after(async () => {
  disconnectAll();
  await Promise.all(receivers.map((r) => r.stop()));
  await stack.stop();
});

const ALL = ['message.published', 'channel.occupied', 'channel.vacated', 'member.joined', 'member.left'];

async function receiver(): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start();
  receivers.push(r);
  return r;
}

function addHook(t: Tenant, url: string, format?: string): Promise<{ id: string; format: string }> {
  return callOk(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url, events: ALL, ...(format ? { format } : {}) } });
}

interface PusherEvent {
  name: string;
  channel: string;
  user_id?: string;
}

/** Every event of the receiver's requests, in Pusher's body. */
const eventsOf = (rx: WebhookReceiver): PusherEvent[] => rx.requests.flatMap((r) => (JSON.parse(r.raw) as { events: PusherEvent[] }).events);

test("a Pusher-format endpoint gets Pusher's events, body and headers, valid for the app's `pusher` library and no other app's", async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const [rx, heraldRx] = [await receiver(), await receiver()];
  assert.equal((await addHook(t, rx.url, 'pusher')).format, 'pusher');
  assert.equal((await addHook(t, heraldRx.url)).format, 'herald');

  const p = pusherJs(stack, t);
  await connected(p);
  p.subscribe('lobby');
  await waitFor(() => p.channel('lobby')?.subscribed === true, { what: 'subscribed' });
  const ann = await WsClient.connect(stack.wsUrl(0), t.commonKey, { query: { id: 'ann', data: '{}' } });
  assert.equal((await ann.request({ type: 'subscribe', channel: 'presence-room', presence: true })).type, 'subscribed');
  await restPublish(stack.apiUrl, t.secret, { channel: 'lobby', message: 'not a Pusher webhook' });
  await waitFor(() => ['channel_occupied:lobby', 'member_added:presence-room'].every((k) => eventsOf(rx).some((e) => `${e.name}:${e.channel}` === k)), { what: 'occupied and member_added' });
  await heraldRx.waitForEvents(1, 'message.published');

  const server = serverLibrary(stack, t);
  for (const r of rx.requests) {
    const hook = server.webhook({ headers: r.headers as Record<string, string>, rawBody: r.raw });
    assert.equal(hook.isValid(), true, 'signed with the app secret, for the app key');
    assert.equal(typeof hook.getTime().getTime(), 'number');
    assert.equal(serverLibrary(stack, other).webhook({ headers: r.headers as Record<string, string>, rawBody: r.raw }).isValid(), false, "not valid for another app's credentials");
    assert.equal(server.webhook({ headers: r.headers as Record<string, string>, rawBody: r.raw.replace('"events"', '"evente"') }).isValid(), false, 'a changed body is not valid');
    assert.equal(r.headers['x-pusher-key'], t.commonKey);
  }
  const events = eventsOf(rx);
  assert.deepEqual(events.find((e) => e.name === 'member_added'), { name: 'member_added', channel: 'presence-room', user_id: 'ann' });
  assert.equal(events.some((e) => e.name.includes('.') || e.name === 'message_published'), false, 'no Herald-only event');

  // Leaving: channel_vacated and member_removed, still in Pusher's names.
  ann.close();
  p.disconnect();
  await waitFor(() => ['channel_vacated:lobby', 'member_removed:presence-room'].every((k) => eventsOf(rx).some((e) => `${e.name}:${e.channel}` === k)), { what: 'vacated and member_removed' });
  assert.deepEqual(eventsOf(rx).find((e) => e.name === 'member_removed'), { name: 'member_removed', channel: 'presence-room', user_id: 'ann' });
});

test("format is checked, changeable, and only by the app's owner", async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const rx = await receiver();
  const bad = await call(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url: rx.url, events: ALL, format: 'soketi' } });
  assert.equal(bad.status, 400);
  const hook = await addHook(t, rx.url);
  const path = `/v1/apps/${t.appId}/webhooks/${hook.id}`;
  assert.equal((await call(stack.apiUrl, 'PATCH', path, { token: t.token, json: { format: 'nope' } })).status, 400);
  assert.equal((await call(stack.apiUrl, 'PATCH', path, { token: other.token, json: { format: 'pusher' } })).status, 404);
  assert.equal((await callOk<{ format: string }>(stack.apiUrl, 'GET', path, { token: t.token })).format, 'herald');
  assert.equal((await callOk<{ format: string }>(stack.apiUrl, 'PATCH', path, { token: t.token, json: { format: 'pusher' } })).format, 'pusher');
  assert.equal((await callOk<{ format: string }>(stack.apiUrl, 'GET', path, { token: t.token })).format, 'pusher');
});

interface Delivery {
  eventTypes: string[];
  status: string;
  attemptLog: Array<{ ok: boolean; error: string | null }>;
}

test('member_removed is held back and dropped when the member comes back within the hold; sent when they stay away', async () => {
  const t = await createTenant(stack.apiUrl);
  const rx = await receiver();
  const hook = await addHook(t, rx.url, 'pusher');
  const watcher = await WsClient.connect(stack.wsUrl(0), t.commonKey);
  await watcher.request({ type: 'presence_subscribe', channel: 'presence-room' });
  const leaves = () => watcher.frames.filter((f) => f.type === 'presence' && f.action === 'leave').length;
  const join = async () => {
    const c = await WsClient.connect(stack.wsUrl(0), t.commonKey, { query: { id: 'ann', data: '{}' } });
    assert.equal((await c.request({ type: 'subscribe', channel: 'presence-room', presence: true })).type, 'subscribed');
    return c;
  };
  const first = await join();
  first.close();
  await waitFor(() => leaves() === 1, { what: 'ann left' });
  const back = await join(); // within the hold
  const deliveries = () => callOk<Delivery[]>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/webhooks/${hook.id}/deliveries`, { token: t.token });
  let dropped: Delivery | undefined;
  await waitFor(async () => (dropped = (await deliveries()).find((d) => d.eventTypes.includes('member.left') && d.status !== 'pending')) !== undefined, { what: 'the held delivery settled' });
  assert.match(dropped!.attemptLog[0].error ?? '', /^not sent: every event was undone/);
  const memberEvents = () => eventsOf(rx).map((e) => e.name).filter((n) => n.startsWith('member_'));
  assert.deepEqual(memberEvents(), ['member_added', 'member_added']);

  const leftAt = Date.now();
  back.close();
  await waitFor(() => eventsOf(rx).some((e) => e.name === 'member_removed'), { what: 'member_removed after the hold' });
  assert.ok(Date.now() - leftAt >= HOLD_MS, 'not before the hold');
  assert.deepEqual(memberEvents(), ['member_added', 'member_added', 'member_removed']);
  watcher.close();
});
