import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebhookReceiver, callOk, createTenant, restPublish, startStack, waitFor, type Stack } from '@herald/testing';
import { RawPusher, connected, disconnectAll, pusherJs, serverLibrary } from './pusher-clients.js';

// Pusher's cache channels on Herald's channel log: the last event after subscription_succeeded, or a miss.
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

test('pusher-js: a cache channel gives its last event once on subscribe, then live ones; an empty one a cache miss (and a cache.miss webhook)', async () => {
  const t = await createTenant(stack.apiUrl);
  await callOk(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url: rx.url, events: ['cache.miss'] } });
  const server = serverLibrary(stack, t);
  await server.trigger('cache-quote', 'price', { v: 1 });
  await server.trigger('cache-quote', 'price', { v: 2 });
  const p = pusherJs(stack, t);
  await connected(p);
  const quote = p.subscribe('cache-quote');
  const prices: unknown[] = [];
  quote.bind('price', (d: unknown) => prices.push(d));
  await waitFor(() => prices.length === 1, { what: 'the cached event' });
  assert.ok(quote.subscribed);
  await server.trigger('cache-quote', 'price', { v: 3 });
  await waitFor(() => prices.length === 2, { what: 'a live event' });
  assert.deepEqual(prices, [{ v: 2 }, { v: 3 }]);

  const empty = p.subscribe('cache-empty');
  let missed = 0;
  empty.bind('pusher:cache_miss', () => missed++);
  await waitFor(() => missed === 1, { what: 'cache miss' });
  const [hook] = await rx.waitForEvents(1, 'cache.miss');
  assert.deepEqual([hook.channel, hook.data], ['cache-empty', { channel: 'cache-empty' }]);
});

test('raw frames: the cached event follows subscription_succeeded on cache-, private-cache- and presence-cache-; a Herald publish is cached too; no leak across apps', async () => {
  const t = await createTenant(stack.apiUrl);
  const server = serverLibrary(stack, t);
  await server.trigger(['cache-a', 'private-cache-b', 'presence-cache-c'], 'news', { n: 1 });
  await restPublish(stack.apiUrl, t.secret, { channel: 'cache-h', message: { from: 'herald' } });
  const c = RawPusher.open(gw(), t.commonKey);
  const id = await c.socketId();
  c.send('pusher:subscribe', { channel: 'cache-a' });
  c.send('pusher:subscribe', { channel: 'private-cache-b', ...server.authorizeChannel(id, 'private-cache-b') });
  c.send('pusher:subscribe', { channel: 'cache-h' });
  for (const ch of ['cache-a', 'private-cache-b']) {
    await c.next('news', ch);
    const order = c.events.filter((e) => e.channel === ch).map((e) => e.event);
    assert.deepEqual(order, ['pusher_internal:subscription_succeeded', 'news'], ch);
  }
  assert.deepEqual(JSON.parse((await c.next('message', 'cache-h')).data), { from: 'herald' });

  // presence-cache-: the last event comes with the members (replayed by the subscribe, just before them).
  c.send('pusher:subscribe', { channel: 'presence-cache-c', ...server.authorizeChannel(id, 'presence-cache-c', { user_id: 'u1' }) });
  await c.next('pusher_internal:subscription_succeeded', 'presence-cache-c');
  assert.deepEqual(JSON.parse((await c.next('news', 'presence-cache-c')).data), { n: 1 });
  assert.equal(c.events.filter((e) => e.event === 'pusher:cache_miss').length, 0);

  // Another app's channel of the same name has no cached event.
  const other = await createTenant(stack.apiUrl);
  const o = RawPusher.open(gw(), other.commonKey);
  await o.socketId();
  o.send('pusher:subscribe', { channel: 'cache-a' });
  const miss = await o.next('pusher:cache_miss', 'cache-a');
  assert.equal(miss.data, '{}');
  assert.equal(o.events.filter((e) => e.event === 'news').length, 0);
  c.close();
  o.close();
});

test("the HTTP API's info=cache: a cache channel's last event and its TTL; none on an empty one; 400 on a channel that is not a cache channel", async () => {
  const t = await createTenant(stack.apiUrl);
  const server = serverLibrary(stack, t);
  await server.trigger('cache-quote', 'price', { v: 1 });
  await server.trigger('cache-quote', 'price', { v: 2 });
  const get = async (path: string) => {
    const r = await server.get({ path, params: { info: 'cache' } });
    return { status: r.status, body: r.status === 200 ? ((await r.json()) as { occupied: boolean; cache?: { data: string; ttl: number } }) : undefined };
  };
  const hit = await get('/channels/cache-quote');
  assert.equal(hit.status, 200);
  assert.equal(hit.body!.occupied, false);
  assert.deepEqual(JSON.parse(hit.body!.cache!.data), { v: 2 }, 'the last event, its data as triggered');
  assert.ok(hit.body!.cache!.ttl > 0 && hit.body!.cache!.ttl <= 259_200, `ttl ${hit.body!.cache!.ttl}`);
  const empty = await get('/channels/cache-empty');
  assert.deepEqual(empty.body, { occupied: false }, 'no cached event: no cache attribute');
  assert.equal((await get('/channels/lobby').catch((e: { status?: number }) => ({ status: e.status }))).status, 400);
  // Another app's cache channel of the same name holds nothing of this one.
  const other = await createTenant(stack.apiUrl);
  const r = await serverLibrary(stack, other).get({ path: '/channels/cache-quote', params: { info: 'cache' } });
  assert.deepEqual(await r.json(), { occupied: false });
});
