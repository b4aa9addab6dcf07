import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import PusherServer from 'pusher';
import { pusherHmac } from '@herald/auth';
import { WsClient, createTenant, restPublish, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';
import { connected, disconnectAll, pusherJs, serverLibrary, type PusherClient } from './pusher-clients.js';

// The real `pusher` server library triggering through the API's /apps/{id}/events, received by pusher-js
// (and Herald's own WebSocket) on the gateway: one channel log for both protocols.
let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 1, workers: 0 });
});
after(async () => {
  disconnectAll();
  await stack.stop();
});

interface Received {
  event: string;
  channel: string;
  data: unknown;
}

/** Every event pusher-js hands the app on these channels (pusher's own events left out). */
async function listen(p: PusherClient, channels: string[]): Promise<Received[]> {
  const got: Received[] = [];
  for (const name of channels) {
    const ch = p.subscribe(name);
    ch.bind_global((event: string, data: unknown) => {
      if (!event.startsWith('pusher:') && !event.startsWith('pusher_internal:')) got.push({ event, channel: name, data });
    });
  }
  await waitFor(() => channels.every((c) => p.channel(c)?.subscribed === true), { what: `subscribed to ${channels.join(', ')}` });
  return got;
}

const statusOf = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (e) {
    return (e as { status: number }).status;
  }
};

test('trigger to one and many channels (private included) reaches pusher-js with its event name and data', async () => {
  const t = await createTenant(stack.apiUrl);
  const p = pusherJs(stack, t);
  await connected(p);
  const got = await listen(p, ['lobby', 'news', 'private-room']);
  const server = serverLibrary(stack, t);
  assert.equal((await server.trigger('lobby', 'greet', { n: 1 })).status, 200);
  await server.trigger(['lobby', 'news', 'private-room'], 'multi', 'plain text');
  await waitFor(() => got.length === 4, { what: 'four deliveries' });
  assert.deepEqual(got[0], { event: 'greet', channel: 'lobby', data: { n: 1 } });
  assert.deepEqual(got.slice(1).map((g) => [g.event, g.channel, g.data]).sort(), [
    ['multi', 'lobby', 'plain text'],
    ['multi', 'news', 'plain text'],
    ['multi', 'private-room', 'plain text'],
  ]);
  p.disconnect();
});

test('socket_id is excluded from delivery; the others on the channel get it', async () => {
  const t = await createTenant(stack.apiUrl);
  const [sender, other] = [pusherJs(stack, t), pusherJs(stack, t)];
  await Promise.all([connected(sender), connected(other)]);
  const [fromSender, fromOther] = await Promise.all([listen(sender, ['chat']), listen(other, ['chat'])]);
  const server = serverLibrary(stack, t);
  await server.trigger('chat', 'said', { text: 'mine' }, { socket_id: sender.connection.socket_id });
  await server.trigger('chat', 'said', { text: 'marker' });
  await waitFor(() => fromSender.length === 1 && fromOther.length === 2, { what: 'marker on both' });
  assert.deepEqual(fromSender.map((g) => g.data), [{ text: 'marker' }]);
  assert.deepEqual(fromOther.map((g) => g.data), [{ text: 'mine' }, { text: 'marker' }]);
  sender.disconnect();
  other.disconnect();
});

test("a trigger and a Herald publish share the channel's offsets; Herald's WebSocket sees the event", async () => {
  const t = await createTenant(stack.apiUrl);
  const ws = await WsClient.connect(stack.wsUrl(0), t.commonKey);
  await ws.subscribe('shared');
  const first = await restPublish(stack.apiUrl, t.secret, { channel: 'shared', message: 'herald' });
  await serverLibrary(stack, t).trigger('shared', 'evt', '{"a":1}');
  const third = await restPublish(stack.apiUrl, t.secret, { channel: 'shared', message: 'herald again' });
  assert.equal(third.offset, first.offset + 2);
  const messages = await ws.waitForMessages(3, 'shared');
  assert.deepEqual(messages.map((m) => [m.offset, m.event, m.content]), [
    [first.offset, undefined, 'herald'],
    [first.offset + 1, 'evt', '{"a":1}'],
    [third.offset, undefined, 'herald again'],
  ]);
  ws.close();
});

/** A hand-signed request, for what the library never sends (a stale timestamp). */
async function signedPost(t: Tenant, appId: string, body: unknown, timestamp: number, tamper: { param?: string; body?: string } = {}): Promise<number> {
  const text = JSON.stringify(body);
  const path = `/apps/${appId}/events`;
  const params = new URLSearchParams({ auth_key: t.commonKey, auth_timestamp: String(timestamp), auth_version: '1.0', body_md5: createHash('md5').update(text).digest('hex') });
  const sorted = [...params].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join('&');
  params.set('auth_signature', pusherHmac(t.secret, `POST\n${path}\n${sorted}`));
  if (tamper.param) params.set('info', tamper.param);
  const r = await fetch(`${stack.apiUrl}${path}?${params}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: tamper.body ?? text });
  await r.text();
  return r.status;
}

test("hostile triggers: bad signature, stale timestamp, another app's key, unknown app, 101 channels — refused, nothing delivered", async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const victim = pusherJs(stack, t);
  const neighbour = pusherJs(stack, other);
  await Promise.all([connected(victim), connected(neighbour)]);
  const [got, neighbourGot] = await Promise.all([listen(victim, ['lobby']), listen(neighbour, ['lobby'])]);
  const api = new URL(stack.apiUrl);
  const lib = (o: { appId: string; key: string; secret: string }) => new PusherServer({ ...o, host: api.hostname, port: api.port, useTLS: false });
  const now = Math.floor(Date.now() / 1000);
  const event = { name: 'evil', data: 'x', channels: ['lobby'] };

  assert.equal(await statusOf(lib({ appId: t.appId, key: t.commonKey, secret: 'not-the-secret' }).trigger('lobby', 'evil', 'x')), 401);
  // Well outside the 600 s tolerance: `now` was read before the requests, and a loaded machine can take
  // seconds between them (601 s once landed inside the window).
  assert.equal(await signedPost(t, t.appId, event, now - 700), 401);
  assert.equal(await signedPost(t, t.appId, event, now + 700), 401);
  assert.equal(await statusOf(lib({ appId: t.appId, key: other.commonKey, secret: other.secret }).trigger('lobby', 'evil', 'x')), 401);
  assert.equal(await statusOf(lib({ appId: other.appId, key: t.commonKey, secret: t.secret }).trigger('lobby', 'evil', 'x')), 401);
  assert.equal(await statusOf(lib({ appId: 'no-such-app', key: t.commonKey, secret: t.secret }).trigger('lobby', 'evil', 'x')), 404);
  // The library refuses 101 channels itself: signed by hand, the API refuses them too.
  assert.equal(await signedPost(t, t.appId, { ...event, channels: [...Array.from({ length: 100 }, (_, i) => `c${i}`), 'lobby'] }, now), 400);
  assert.equal(await signedPost(t, t.appId, event, now + 1, { param: 'tampered-after-signing' }), 401);
  assert.equal(await signedPost(t, t.appId, event, now + 1, { body: JSON.stringify({ ...event, data: 'swapped' }) }), 401);
  assert.equal(await statusOf(serverLibrary(stack, t).trigger('lobby', 'evil', 'x'.repeat(100 * 1024))), 413);
  const malformed = await fetch(`${stack.apiUrl}/apps/%E0%A4%A/events`, { method: 'POST', body: '{}' });
  assert.equal(malformed.status, 404, 'a malformed escape in the app id is an unknown app');
  const refused = await fetch(`${stack.apiUrl}/apps/${t.appId}/events`, { method: 'POST', body: '{}' });
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get('content-type') ?? '', /^text\/plain/);

  // The tenant's own trigger arrives; nothing refused did, and the other tenant's "lobby" got nothing.
  await serverLibrary(stack, t).trigger('lobby', 'fine', 'ok');
  await serverLibrary(stack, other).trigger('lobby', 'theirs', 'ok');
  await waitFor(() => got.length === 1 && neighbourGot.length === 1, { what: 'the markers' });
  assert.deepEqual(got.map((g) => g.event), ['fine']);
  assert.deepEqual(neighbourGot.map((g) => g.event), ['theirs']);
  const history = (await (await fetch(`${stack.apiUrl}/v1/channels/lobby/history`, { headers: { authorization: `Bearer ${t.secret}` } })).json()) as { messages: unknown[] };
  assert.equal(history.messages.length, 1, 'nothing refused was stored');
  victim.disconnect();
  neighbour.disconnect();
});
