import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { pusherHmac } from '@herald/auth';
import { WsClient, createTenant, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';
import { connected, disconnectAll, pusherJs, serverLibrary, type PusherClient } from './pusher-clients.js';

// Pusher's HTTP API beyond the trigger, driven by the real `pusher` server library: batch_events, `info`
// on triggers, and the channel queries read from Herald's occupancy and presence state.
let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 2, workers: 0 });
});
after(async () => {
  disconnectAll();
  await stack.stop();
});

/** The JSON of a `pusher.get`, or its status when refused. */
async function get<T>(t: Tenant, path: string, params: Record<string, string> = {}): Promise<T> {
  const r = await serverLibrary(stack, t).get({ path, params });
  return (await r.json()) as T;
}
const statusOf = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (e) {
    return (e as { status: number }).status;
  }
};

/** pusher-js subscribed to `channels`, recording (event, channel, data) of the app's events. */
async function listener(t: Tenant, channels: string[], gateway = 0): Promise<{ p: PusherClient; got: Array<[string, string, unknown]> }> {
  const p = pusherJs(stack, t, { gateway });
  await connected(p);
  const got: Array<[string, string, unknown]> = [];
  for (const name of channels) {
    p.subscribe(name).bind_global((event: string, data: unknown) => {
      if (!event.startsWith('pusher')) got.push([event, name, data]);
    });
  }
  await waitFor(() => channels.every((c) => p.channel(c)?.subscribed === true), { what: 'subscribed' });
  return { p, got };
}

/** A Herald WebSocket member of a presence channel (the same presence store Pusher's presence uses). */
async function member(t: Tenant, channel: string, id: string, gateway = 0): Promise<WsClient> {
  const c = await WsClient.connect(stack.wsUrl(gateway), t.commonKey, { query: { id, data: JSON.stringify({ name: id }) } });
  assert.equal((await c.request({ type: 'subscribe', channel, presence: true })).type, 'subscribed');
  return c;
}

test('triggerBatch delivers every event to pusher-js, in order, and answers info per event', async () => {
  const t = await createTenant(stack.apiUrl);
  const { p, got } = await listener(t, ['a', 'b', 'private-c']);
  const server = serverLibrary(stack, t);
  const r = await server.triggerBatch([
    { channel: 'a', name: 'one', data: { n: 1 } },
    { channel: 'b', name: 'two', data: 'text' },
    { channel: 'private-c', name: 'three', data: { n: 3 } },
    { channel: 'a', name: 'four', data: { n: 4 } },
  ]);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), {});
  await waitFor(() => got.length === 4, { what: 'four events' });
  assert.deepEqual(got.filter(([, c]) => c === 'a'), [['one', 'a', { n: 1 }], ['four', 'a', { n: 4 }]]);
  assert.deepEqual(got.filter(([, c]) => c !== 'a').sort(), [['three', 'private-c', { n: 3 }], ['two', 'b', 'text']]);

  // info: subscription counts once the gateways reported them; user_count only where presence is.
  await waitFor(async () => (await get<{ subscription_count?: number }>(t, '/channels/a', { info: 'subscription_count' })).subscription_count === 1, { what: 'count reported' });
  const alice = await member(t, 'presence-room', 'alice');
  await waitFor(async () => (await get<{ subscription_count?: number }>(t, '/channels/presence-room', { info: 'subscription_count' })).subscription_count === 1, { what: 'presence count reported' });
  const withInfo = await server.triggerBatch([
    { channel: 'a', name: 'x', data: '1', info: 'subscription_count' },
    { channel: 'presence-room', name: 'y', data: '2', info: 'user_count,subscription_count' },
    { channel: 'nobody-here', name: 'z', data: '3' },
  ]);
  assert.deepEqual(await withInfo.json(), { batch: [{ subscription_count: 1 }, { user_count: 1, subscription_count: 1 }, {}] });
  const single = await server.trigger(['a', 'presence-room'], 'evt', 'd', { info: 'user_count,subscription_count' });
  assert.deepEqual(await single.json(), { channels: { a: { subscription_count: 1 }, 'presence-room': { user_count: 1, subscription_count: 1 } } });
  alice.close();
  p.disconnect();
});

/** A hand-signed request, for what the library refuses to send (11 events, a bad info). */
async function signed(t: Tenant, method: 'GET' | 'POST', path: string, body?: unknown, extra: Record<string, string> = {}, key = t.commonKey, secret = t.secret): Promise<number> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const params = new URLSearchParams({ ...extra, auth_key: key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0' });
  if (text) params.set('body_md5', createHash('md5').update(text).digest('hex'));
  const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
  params.set('auth_signature', pusherHmac(secret, `${method}\n${path}\n${sorted}`));
  const r = await fetch(`${stack.apiUrl}${path}?${params}`, { method, headers: { 'content-type': 'application/json' }, body: text || undefined });
  await r.text();
  return r.status;
}

test('hostile batches: over 10 events, a bad event, a bad info, a bad signature, another app — refused whole, nothing delivered', async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const { p, got } = await listener(t, ['lobby']);
  const path = `/apps/${t.appId}/batch_events`;
  const ok = { channel: 'lobby', name: 'evil', data: 'x' };
  assert.equal(await signed(t, 'POST', path, { batch: Array.from({ length: 11 }, () => ok) }), 400);
  assert.equal(await signed(t, 'POST', path, { batch: [] }), 400);
  assert.equal(await signed(t, 'POST', path, { batch: [ok, { ...ok, channel: 'bad channel' }] }), 400);
  assert.equal(await signed(t, 'POST', path, { batch: [ok, { ...ok, data: { not: 'a string' } }] }), 400);
  assert.equal(await signed(t, 'POST', path, { batch: [ok, { ...ok, info: 'occupied' }] }), 400);
  assert.equal(await signed(t, 'POST', path, { batch: [ok, { ...ok, data: 'x'.repeat(100 * 1024) }] }), 413);
  assert.equal(await signed(t, 'POST', path, 'not an object'), 400);
  assert.equal(await signed(t, 'POST', path, { batch: [ok] }, {}, t.commonKey, 'wrong-secret'), 401);
  assert.equal(await signed(t, 'POST', path, { batch: [ok] }, {}, other.commonKey, other.secret), 401);
  assert.equal(await signed(t, 'POST', `/apps/no-such-app/batch_events`, { batch: [ok] }), 404);
  assert.equal(await signed(t, 'GET', path), 405);
  assert.equal(await signed(t, 'POST', `/apps/${t.appId}/no_such_endpoint`, {}), 404);
  // Another app's credentials publish to their own "lobby", never this one's.
  await serverLibrary(stack, other).triggerBatch([ok]);
  await serverLibrary(stack, t).triggerBatch([{ ...ok, name: 'fine' }]);
  await waitFor(() => got.length === 1, { what: 'the marker' });
  assert.deepEqual(got, [['fine', 'lobby', 'x']]);
  p.disconnect();
});

test('GET channels: occupied channels by prefix across gateways, user_count for presence; channel info; users', async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const a = await listener(t, ['news', 'news-sport'], 0);
  const b = await listener(t, ['news', 'weather'], 1);
  const theirs = await listener(other, ['news-theirs'], 1);
  const [alice, bob, bob2] = [await member(t, 'presence-room', 'alice', 0), await member(t, 'presence-room', 'bob', 1), await member(t, 'presence-room', 'bob', 0)];

  await waitFor(async () => Object.keys((await get<{ channels: object }>(t, '/channels')).channels).length === 4, { what: 'four occupied channels' });
  assert.deepEqual(await get(t, '/channels'), { channels: { news: {}, 'news-sport': {}, weather: {}, 'presence-room': {} } });
  assert.deepEqual(await get(t, '/channels', { filter_by_prefix: 'news' }), { channels: { news: {}, 'news-sport': {} } });
  assert.deepEqual(await get(t, '/channels', { filter_by_prefix: 'presence-', info: 'user_count' }), { channels: { 'presence-room': { user_count: 2 } } });
  assert.deepEqual(await get(other, '/channels'), { channels: { 'news-theirs': {} } }, "the other app sees only its own");

  await waitFor(async () => (await get<{ subscription_count: number }>(t, '/channels/news', { info: 'subscription_count' })).subscription_count === 2, { what: 'both gateways reported' });
  assert.deepEqual(await get(t, '/channels/news'), { occupied: true });
  assert.deepEqual(await get(t, '/channels/empty'), { occupied: false });
  assert.deepEqual(await get(t, '/channels/empty', { info: 'subscription_count' }), { occupied: false, subscription_count: 0 });
  assert.deepEqual(await get(t, '/channels/presence-room', { info: 'user_count' }), { occupied: true, user_count: 2 });
  assert.deepEqual(await get(other, '/channels/news'), { occupied: false }, "app A's channel is not app B's");

  const users = await get<{ users: Array<{ id: string }> }>(t, '/channels/presence-room/users');
  assert.deepEqual(users.users.map((u) => u.id).sort(), ['alice', 'bob']);
  assert.deepEqual(await get(other, '/channels/presence-room/users'), { users: [] });

  // Everyone leaves: the channels are vacated (after the gateways' linger).
  for (const c of [alice, bob, bob2]) c.close();
  for (const c of [a.p, b.p, theirs.p]) c.disconnect();
  await waitFor(async () => Object.keys((await get<{ channels: object }>(t, '/channels')).channels).length === 0, { what: 'vacated' });
  assert.deepEqual(await get(t, '/channels/presence-room/users'), { users: [] });
});

test('hostile channel queries: info=user_count without a presence prefix, users of a non-presence channel, bad names, bad signatures, other apps', async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const lib = serverLibrary(stack, t);
  assert.equal(await statusOf(lib.get({ path: '/channels', params: { info: 'user_count' } })), 400);
  assert.equal(await statusOf(lib.get({ path: '/channels', params: { filter_by_prefix: 'news', info: 'user_count' } })), 400);
  assert.equal(await statusOf(lib.get({ path: '/channels', params: { info: 'subscription_count,bogus' } })), 400);
  assert.equal(await statusOf(lib.get({ path: '/channels', params: { filter_by_prefix: 'bad prefix*' } })), 400);
  assert.equal(await statusOf(lib.get({ path: '/channels/news', params: { info: 'user_count' } })), 400);
  assert.equal(await statusOf(lib.get({ path: '/channels/news/users' })), 400);
  assert.equal(await statusOf(lib.get({ path: '/channels/bad%20name' })), 400);
  assert.equal(await statusOf(lib.get({ path: '/channels/%E0%A4%A' })), 400);
  assert.equal(await signed(t, 'GET', `/apps/${t.appId}/channels`, undefined, {}, t.commonKey, 'wrong-secret'), 401);
  assert.equal(await signed(t, 'GET', `/apps/${t.appId}/channels`, undefined, { filter_by_prefix: 'x' }).then(() => signed(t, 'GET', `/apps/${t.appId}/channels/presence-x/users`, undefined, {}, other.commonKey, other.secret)), 401);
  assert.equal(await signed(t, 'GET', `/apps/nope/channels`), 404);
  assert.equal(await signed(t, 'POST', `/apps/${t.appId}/channels`, {}), 405);
  // A signature over other parameters than those sent is refused.
  const params = new URLSearchParams({ auth_key: t.commonKey, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0' });
  params.set('auth_signature', pusherHmac(t.secret, `GET\n/apps/${t.appId}/channels\n${[...params].map(([k, v]) => `${k}=${v}`).join('&')}`));
  params.set('filter_by_prefix', 'private-');
  assert.equal((await fetch(`${stack.apiUrl}/apps/${t.appId}/channels?${params}`)).status, 401);
});

test("batch_events takes more than Pusher's 10 only where the plan says so (maxPusherBatchEvents)", async () => {
  const t = await createTenant(stack.apiUrl);
  const ok = Array.from({ length: 15 }, (_, n) => ({ channel: 'lobby', name: 'e', data: String(n) }));
  assert.equal(await signed(t, 'POST', `/apps/${t.appId}/batch_events`, { batch: ok }), 400, 'the default plan: 10');
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    const id = `t-${randomBytes(4).toString('hex')}`;
    await db.query(
      `INSERT INTO "Plan" (id, name, "maxConnections", "maxMessagesPerDay", "maxPublishesPerSecond", "maxPayloadBytes", "historySize", "historyTtlSeconds", "maxChannelsPerConnection", "maxPusherBatchEvents")
       VALUES ($1, $1, 100, NULL, 1000, 65536, 100, 3600, 100, 20)`,
      [id],
    );
    await db.query('UPDATE "App" SET "planId" = $1 WHERE id = $2', [id, t.appId]);
  } finally {
    await db.end();
  }
  await waitFor(async () => (await signed(t, 'POST', `/apps/${t.appId}/batch_events`, { batch: ok })) === 200, { what: 'the new plan applies (key cache)' });
  assert.equal(await signed(t, 'POST', `/apps/${t.appId}/batch_events`, { batch: [...ok, ...ok] }), 400, 'over the plan: 30 > 20');
});
