import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalPushService, WsClient, call, callOk, createTenant, startStack, waitFor, type Stack } from '@herald/testing';
import { deliveryLog, notices, overview, publishPush, subscribe, subscriptionsOf } from './push-helpers.js';

// One gateway (offline mode needs a live connection), one worker; the local push service on loopback
// (TEST_TIMINGS allow private endpoints); short push backoffs.
let stack: Stack;
let service: LocalPushService;
before(async () => {
  [stack, service] = await Promise.all([startStack(), LocalPushService.start()]);
});
after(async () => {
  await service?.stop();
  await stack?.stop();
});

test('a publish with push reaches the subscriber: VAPID verified, the plaintext is what was published, TTL, Urgency and Topic sent', async () => {
  const t = await createTenant(stack.apiUrl);
  const ann = service.subscriber();
  const created = await subscribe(stack, t, ann, ['news', 'news']);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual({ ...created.body, id: undefined }, { id: undefined, endpoint: ann.endpoint, channels: ['news'], userId: null });

  const push = { title: 'Hello', body: 'World', url: '/inbox', icon: 'https://example.com/i.png', data: { k: [1, 2] }, ttl: 60, urgency: 'high', topic: 'news-1' };
  assert.equal((await publishPush(stack, t, { channel: 'news', id: 'm-1', push })).status, 200);
  assert.equal((await publishPush(stack, t, { channel: 'news', id: 'm-2' })).status, 200); // no push
  assert.equal((await publishPush(stack, t, { channel: 'news', id: 'm-3', push: { title: 'Second', body: '' } })).status, 200);
  // Deliveries are separate jobs: Web Push promises no order between two messages, so each is found by its id.
  const got = notices(await service.waitForDelivered(ann, 2));
  const at = (id: string) => got.findIndex((n) => n.id === id);
  assert.deepEqual(got[at('m-1')], { title: 'Hello', body: 'World', url: '/inbox', icon: 'https://example.com/i.png', data: { k: [1, 2] }, channel: 'news', id: 'm-1' });
  assert.deepEqual(got[at('m-3')], { title: 'Second', body: '', channel: 'news', id: 'm-3' });

  const requests = service.requests(ann);
  const [first, second] = [requests[at('m-1')], requests[at('m-3')]];
  assert.deepEqual([first.ttl, first.urgency, first.topic], ['60', 'high', 'news-1']);
  assert.deepEqual([second.ttl, second.urgency, second.topic], ['86400', 'normal', undefined], 'defaults: one day, normal, no topic');
  const { publicKey } = await callOk<{ publicKey: string }>(stack.apiUrl, 'GET', `/v1/push/vapid-key?appkey=${t.subscribeKey}`);
  assert.equal(first.vapid?.k, publicKey, "signed with the app's VAPID key");
  assert.equal(first.vapid?.aud, service.origin);
  assert.equal(first.vapid?.sub, 'mailto:push@herald.local');

  await waitFor(async () => (await overview(stack, t)).stats.delivered === 2, { what: 'delivered counter' });
  const o = await overview(stack, t);
  assert.deepEqual(o, { publicKey, stats: { sent: 2, delivered: 2, expired: 0, failed: 0 }, subscriptions: 1 });
  const log = await deliveryLog(stack, t);
  assert.deepEqual(
    log.map((a) => [a.messageId, a.statusCode, a.outcome, a.origin, a.subscriptionId, a.channel]).sort((x, y) => String(y[0]).localeCompare(String(x[0]))),
    [
      ['m-3', 201, 'delivered', service.origin, created.body.id, 'news'],
      ['m-1', 201, 'delivered', service.origin, created.body.id, 'news'],
    ],
  );
});

test('the same endpoint again replaces its channels: a publish on the old channel no longer pushes it', async () => {
  const t = await createTenant(stack.apiUrl);
  const ann = service.subscriber();
  const first = await subscribe(stack, t, ann, ['a']);
  const again = await subscribe(stack, t, ann, ['b'], { userId: 'ann' });
  assert.equal(again.status, 201);
  assert.equal(again.body.id, first.body.id);
  assert.deepEqual(again.body.channels, ['b']);
  assert.equal(again.body.userId, 'ann');
  await publishPush(stack, t, { channel: 'a', id: 'on-a', push: { title: 'a', body: 'a' } });
  await publishPush(stack, t, { channel: 'b', id: 'on-b', push: { title: 'b', body: 'b' } });
  await service.waitForDelivered(ann, 1);
  // The subscription left channel a before either publish: a's fan-out finds nobody, whenever it runs.
  await waitFor(async () => (await overview(stack, t)).stats.delivered === 1, { what: 'counters' });
  assert.deepEqual(notices(service.delivered(ann)).map((n) => n.id), ['on-b']);
  assert.equal((await overview(stack, t)).stats.sent, 1);
});

test('410 from the push service removes the subscription, counted expired, never sent to again', async () => {
  const t = await createTenant(stack.apiUrl);
  const gone = service.subscriber();
  const live = service.subscriber();
  await subscribe(stack, t, gone, ['room']);
  await subscribe(stack, t, live, ['room']);
  service.script(gone, [{ status: 410 }]);
  await publishPush(stack, t, { channel: 'room', id: 'one', push: { title: '1', body: '1' } });
  await service.waitForRequests(gone, 1);
  await waitFor(async () => (await subscriptionsOf(stack, t)).length === 1, { what: 'the gone subscription removed' });
  assert.equal((await subscriptionsOf(stack, t))[0].endpoint, live.endpoint);
  await publishPush(stack, t, { channel: 'room', id: 'two', push: { title: '2', body: '2' } });
  await service.waitForDelivered(live, 2);
  assert.equal(service.requests(gone).length, 1);
  await waitFor(async () => (await overview(stack, t)).stats.expired === 1, { what: 'expired counter' });
  const log = await deliveryLog(stack, t);
  assert.ok(log.some((a) => a.statusCode === 410 && a.outcome === 'expired' && a.messageId === 'one'));
});

test('503 and 429 with Retry-After are retried, no sooner than the push service asked', async () => {
  const t = await createTenant(stack.apiUrl);
  const bob = service.subscriber();
  await subscribe(stack, t, bob, ['alerts']);
  service.script(bob, [{ status: 503, retryAfter: 1 }, { status: 429, retryAfter: 1 }]);
  await publishPush(stack, t, { channel: 'alerts', id: 'busy', push: { title: 't', body: 'b' } });
  const got = await service.waitForDelivered(bob, 1);
  assert.equal(notices(got)[0].id, 'busy');
  const [r1, r2, r3] = service.requests(bob);
  assert.deepEqual([r1.status, r2.status, r3.status], [503, 429, 201]);
  // The test backoff is 100 ms: waiting a second each time is the Retry-After being honoured.
  assert.ok(r2.at - r1.at >= 950, `second attempt ${r2.at - r1.at} ms after the first`);
  assert.ok(r3.at - r2.at >= 950, `third attempt ${r3.at - r2.at} ms after the second`);
  await waitFor(async () => (await deliveryLog(stack, t)).length === 3, { what: 'three attempts logged' });
  assert.deepEqual((await deliveryLog(stack, t)).map((a) => [a.statusCode, a.outcome]), [[201, 'delivered'], [429, 'retry'], [503, 'retry']]);
});

test('a push service that keeps failing: bounded attempts, then failed; a refusal (400) fails at once', async () => {
  const t = await createTenant(stack.apiUrl);
  const down = service.subscriber();
  const refusing = service.subscriber();
  await subscribe(stack, t, down, ['x']);
  await subscribe(stack, t, refusing, ['y']);
  service.script(down, Array.from({ length: 20 }, () => ({ status: 500 })));
  service.script(refusing, [{ status: 400 }]);
  await publishPush(stack, t, { channel: 'x', id: 'x1', push: { title: 't', body: 'b' } });
  await publishPush(stack, t, { channel: 'y', id: 'y1', push: { title: 't', body: 'b' } });
  await waitFor(async () => (await overview(stack, t)).stats.failed === 2, { timeoutMs: 30_000, what: 'both deliveries failed' });
  assert.equal(service.requests(down).length, 8, 'HERALD_PUSH_ATTEMPTS (8) requests, then given up');
  assert.equal(service.requests(refusing).length, 1);
  const log = await deliveryLog(stack, t);
  assert.equal(log.filter((a) => a.messageId === 'x1' && a.outcome === 'failed').length, 1);
  assert.equal(log.find((a) => a.messageId === 'y1')?.outcome, 'failed');
});

test('pushMode offline: a connected user gets the message live and no push; once gone, the next publish is a push', async () => {
  const t = await createTenant(stack.apiUrl);
  const annPush = service.subscriber();
  const bobPush = service.subscriber();
  await subscribe(stack, t, annPush, ['room'], { userId: 'ann' });
  await subscribe(stack, t, bobPush, ['room'], { userId: 'bob' });
  const ann = await WsClient.connect(stack.wsUrl(), t.commonKey, { query: { id: 'ann' } });
  assert.equal((await ann.request({ type: 'subscribe', channel: 'room', presence: true })).type, 'subscribed');

  await publishPush(stack, t, { channel: 'room', id: 'while-on', message: { text: 'hi' }, push: { title: 'hi', body: 'hi' }, pushMode: 'offline' });
  await ann.waitForMessages(1, 'room');
  // Bob (offline) gets it: the fan-out that skipped Ann is done.
  assert.equal(notices(await service.waitForDelivered(bobPush, 1))[0].id, 'while-on');
  assert.equal(service.requests(annPush).length, 0, 'no push to a user connected on the channel');

  ann.close();
  await waitFor(async () => (await callOk<{ amount: number }>(stack.apiUrl, 'GET', '/v1/channels/room/presence', { token: t.secret })).amount === 0, { what: 'Ann gone from presence' });
  await publishPush(stack, t, { channel: 'room', id: 'after', push: { title: 'later', body: 'later' }, pushMode: 'offline' });
  assert.equal(notices(await service.waitForDelivered(annPush, 1))[0].id, 'after');
  assert.equal(notices(await service.waitForDelivered(bobPush, 2))[1].id, 'after');
});

test('the owner sends a test notification to one subscription, or to a channel', async () => {
  const t = await createTenant(stack.apiUrl);
  const one = service.subscriber();
  const other = service.subscriber();
  const sub = await subscribe(stack, t, one, ['c1']);
  await subscribe(stack, t, other, ['c2']);
  const r = await call<{ id: string }>(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/push/test`, { token: t.token, json: { subscriptionId: sub.body.id, title: 'Test', body: 'It works' } });
  assert.equal(r.status, 202);
  const [n] = notices(await service.waitForDelivered(one, 1));
  assert.deepEqual([n.title, n.body, n.channel], ['Test', 'It works', 'c1']);
  await callOk(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/push/test`, { token: t.token, json: { channel: 'c2', title: 'To c2', body: '' } });
  assert.equal(notices(await service.waitForDelivered(other, 1))[0].title, 'To c2');
  assert.equal(service.requests(one).length, 1);
  const bad = await call<{ reason: string }>(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/push/test`, { token: t.token, json: { title: 'x', body: 'x' } });
  assert.deepEqual([bad.status, bad.body.reason], [400, 'invalid_request']);
});
