import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { environment, loadConfig } from '@herald/config';
import { LocalPushService, call, callOk, createTenant, startStack, waitFor, type Stack } from '@herald/testing';
import { notices, overview, publishPush, subscribe, subscriptionsOf } from './push-helpers.js';

// API, gateway and worker with private endpoints allowed (the local push service), and an API-only stack
// with the SSRF rule as deployed, on the same database.
let stack: Stack;
let strict: Stack;
let service: LocalPushService;
before(async () => {
  [stack, strict, service] = await Promise.all([startStack(), startStack({ gateways: 0, workers: 0, env: { HERALD_WEBHOOKS_ALLOW_PRIVATE: 'false' } }), LocalPushService.start()]);
});
after(async () => {
  await service?.stop();
  await Promise.all([stack?.stop(), strict?.stop()]);
});

const b64 = (n: number) => randomBytes(n).toString('base64url');

test('the VAPID public key: read with any app key, a 65-byte P-256 point, the same every time and for the owner', async () => {
  const t = await createTenant(stack.apiUrl);
  const get = (q: string, token?: string) => callOk<{ publicKey: string }>(stack.apiUrl, 'GET', `/v1/push/vapid-key${q}`, { token });
  const { publicKey } = await get(`?appkey=${t.commonKey}`);
  assert.match(publicKey, /^[A-Za-z0-9_-]{87}$/, 'unpadded base64url');
  const point = Buffer.from(publicKey, 'base64url');
  assert.deepEqual([point.length, point[0]], [65, 4]);
  assert.equal((await get(`?appkey=${t.subscribeKey}`)).publicKey, publicKey);
  assert.equal((await get('', t.secret)).publicKey, publicKey);
  assert.equal((await overview(stack, t)).publicKey, publicKey);
  const other = await createTenant(stack.apiUrl);
  assert.notEqual((await get(`?appkey=${other.commonKey}`)).publicKey, publicKey, 'one key pair per app');
  const none = await call<{ reason: string }>(stack.apiUrl, 'GET', '/v1/push/vapid-key');
  assert.equal(none.status, 401);
});

test('an app made before Web Push gets its VAPID keys on first use, once, even when asked twice at once', async () => {
  const t = await createTenant(stack.apiUrl);
  const db = new pg.Client({ connectionString: loadConfig(environment()).databaseUrl });
  await db.connect();
  try {
    await db.query('UPDATE "App" SET "vapidPublicKey" = NULL, "vapidPrivateCipher" = NULL WHERE id = $1', [t.appId]);
    const [a, b] = await Promise.all([1, 2].map(() => callOk<{ publicKey: string }>(stack.apiUrl, 'GET', `/v1/push/vapid-key?appkey=${t.commonKey}`)));
    assert.equal(a.publicKey, b.publicKey);
    const row = await db.query<{ vapidPublicKey: string; vapidPrivateCipher: string }>('SELECT "vapidPublicKey", "vapidPrivateCipher" FROM "App" WHERE id = $1', [t.appId]);
    assert.equal(row.rows[0].vapidPublicKey, a.publicKey);
    assert.match(row.rows[0].vapidPrivateCipher, /^v1\./, 'the private key is stored sealed, never plain');
  } finally {
    await db.end();
  }
  // And the worker signs with the key made on first use.
  const sub = service.subscriber();
  await subscribe(stack, t, sub, ['late']);
  await publishPush(stack, t, { channel: 'late', push: { title: 't', body: 'b' } });
  await service.waitForDelivered(sub, 1);
  assert.equal(service.requests(sub)[0].vapid?.k, (await overview(stack, t)).publicKey);
});

test('malformed subscriptions are refused with a clear code, and nothing is stored', async () => {
  const t = await createTenant(stack.apiUrl);
  const good = service.subscriber().json;
  const offCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url');
  const cases: Array<[string, unknown, unknown, string]> = [
    ['no keys', { endpoint: good.endpoint }, ['c'], 'invalid_push_subscription'],
    ['p256dh too short', { ...good, keys: { ...good.keys, p256dh: b64(33) } }, ['c'], 'invalid_push_subscription'],
    ['p256dh not on the curve', { ...good, keys: { ...good.keys, p256dh: offCurve } }, ['c'], 'invalid_push_subscription'],
    ['p256dh not base64url', { ...good, keys: { ...good.keys, p256dh: 'not base64!' } }, ['c'], 'invalid_push_subscription'],
    ['auth of 15 bytes', { ...good, keys: { ...good.keys, auth: b64(15) } }, ['c'], 'invalid_push_subscription'],
    ['auth not a string', { ...good, keys: { ...good.keys, auth: 16 } }, ['c'], 'invalid_push_subscription'],
    ['endpoint not a URL', { ...good, endpoint: 'not a url' }, ['c'], 'invalid_push_subscription'],
    ['endpoint ftp', { ...good, endpoint: 'ftp://push.example/x' }, ['c'], 'invalid_push_subscription'],
    ['endpoint with credentials', { ...good, endpoint: 'https://u:p@push.example/x' }, ['c'], 'invalid_push_subscription'],
    ['endpoint too long', { ...good, endpoint: `https://push.example/${'a'.repeat(2000)}` }, ['c'], 'invalid_push_subscription'],
    ['subscription an array', [good], ['c'], 'invalid_push_subscription'],
    ['no channels', good, [], 'invalid_channel'],
    ['channels not a list', good, 'c', 'invalid_channel'],
    ['a bad channel name', good, ['ok', 'bad|name'], 'invalid_channel'],
    ["more channels than the plan's per connection (500)", good, Array.from({ length: 501 }, (_, i) => `ch${i}`), 'invalid_push_subscription'],
  ];
  for (const [what, subscription, channels, reason] of cases) {
    const r = await subscribe(stack, t, { json: subscription }, channels);
    assert.deepEqual([r.status, r.body.reason], [400, reason], what);
  }
  const badUser = await subscribe(stack, t, { json: good }, ['c'], { userId: 'a|b' });
  assert.deepEqual([badUser.status, badUser.body.reason], [400, 'invalid_request']);
  const extra = await subscribe(stack, t, { json: good }, ['c'], { extra: 1 });
  assert.deepEqual([extra.status, extra.body.reason], [400, 'invalid_request']);
  const noKey = await call<{ reason: string }>(stack.apiUrl, 'POST', '/v1/push/subscriptions', { json: { subscription: good, channels: ['c'] } });
  assert.equal(noKey.status, 401);
  assert.equal((await overview(stack, t)).subscriptions, 0);
});

test('endpoints that are plain http or reach a private address are refused unless private targets are allowed', async () => {
  const t = await createTenant(strict.apiUrl);
  const keys = service.subscriber().json.keys;
  for (const endpoint of ['http://push.example.com/x', 'https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://[::1]/x', 'https://[::ffff:169.254.169.254]/x', 'https://localhost/x']) {
    const r = await subscribe(strict, t, { json: { endpoint, keys } }, ['c']);
    assert.deepEqual([r.status, r.body.reason], [400, 'push_endpoint_private'], endpoint);
  }
  assert.equal((await overview(strict, t)).subscriptions, 0);
});

test('private channels need a token allowing reads (bound to the user it names)', async () => {
  const t = await createTenant(stack.apiUrl);
  const sub = service.subscriber();
  const refused = await subscribe(stack, t, sub, ['news', 'private-inbox']);
  assert.deepEqual([refused.status, refused.body.reason], [403, 'token_required']);
  const { token } = await callOk<{ token: string }>(stack.apiUrl, 'POST', '/v1/tokens', { token: t.secret, json: { channel: 'private-inbox', r: true, id: 'ann' } });
  const otherUser = await subscribe(stack, t, sub, ['private-inbox'], { token, userId: 'bob' });
  assert.deepEqual([otherUser.status, otherUser.body.reason], [401, 'invalid_token']);
  const ok = await subscribe(stack, t, sub, ['news', 'private-inbox'], { token, userId: 'ann' });
  assert.equal(ok.status, 201);
  assert.deepEqual(ok.body.channels, ['news', 'private-inbox']);
});

test('publishing with push: the secret only, options checked, the payload within one 4 KB record; nothing stored when refused', async () => {
  const t = await createTenant(stack.apiUrl);
  const sub = service.subscriber();
  await subscribe(stack, t, sub, ['news']);
  const ok = { title: 't', body: 'b' };
  const cases: Array<[string, Record<string, unknown>, string | undefined, number, string]> = [
    ['common key', { push: ok }, t.commonKey, 403, 'push_forbidden'],
    ['pushMode with the common key', { pushMode: 'offline' }, t.commonKey, 403, 'push_forbidden'],
    ['no title', { push: { body: 'b' } }, undefined, 400, 'invalid_push'],
    ['push not an object', { push: 'hello' }, undefined, 400, 'invalid_push'],
    ['unknown option', { push: { ...ok, badge: 'x' } }, undefined, 400, 'invalid_push'],
    ['bad urgency', { push: { ...ok, urgency: 'urgent' } }, undefined, 400, 'invalid_push'],
    ['negative ttl', { push: { ...ok, ttl: -1 } }, undefined, 400, 'invalid_push'],
    ['ttl past four weeks', { push: { ...ok, ttl: 2_419_201 } }, undefined, 400, 'invalid_push'],
    ['bad topic', { push: { ...ok, topic: 'has space' } }, undefined, 400, 'invalid_push'],
    ['javascript: url', { push: { ...ok, url: 'javascript:alert(1)' } }, undefined, 400, 'invalid_push'],
    ['bad pushMode', { push: ok, pushMode: 'sometimes' }, undefined, 400, 'invalid_push'],
    ['pushMode alone', { pushMode: 'offline' }, undefined, 400, 'invalid_push'],
    ['payload over one record', { push: { ...ok, data: 'x'.repeat(4000) } }, undefined, 413, 'push_payload_too_large'],
    ['with delay', { push: ok, delay: 60_000 }, undefined, 400, 'invalid_push'],
  ];
  for (const [what, extra, key, status, reason] of cases) {
    const r = await publishPush(stack, t, { channel: 'news', ...extra }, key ?? t.secret);
    assert.deepEqual([r.status, r.body.reason], [status, reason], what);
  }
  const batch = await call<{ results: Array<{ ok: boolean; error?: { reason: string } }> }>(stack.apiUrl, 'POST', '/v1/publish/batch', {
    token: t.commonKey,
    json: { items: [{ channel: 'news', message: 1, push: ok }] },
  });
  assert.equal(batch.body.results[0].error?.reason, 'push_forbidden');
  const history = await callOk<{ messages: unknown[] }>(stack.apiUrl, 'GET', '/v1/channels/news/history', { token: t.secret });
  assert.equal(history.messages.length, 0, 'no refused publish was stored');
  // A valid one after them all is the only push.
  await publishPush(stack, t, { channel: 'news', id: 'valid', push: { ...ok, data: 'x'.repeat(3800) } });
  assert.equal(notices(await service.waitForDelivered(sub, 1))[0].id, 'valid');
  await waitFor(async () => (await overview(stack, t)).stats.delivered === 1, { what: 'counters' });
  assert.equal((await overview(stack, t)).stats.sent, 1);
});

test('unsubscribing by endpoint; an unknown endpoint is 404', async () => {
  const t = await createTenant(stack.apiUrl);
  const sub = service.subscriber();
  await subscribe(stack, t, sub, ['news']);
  const del = (endpoint: unknown, key = t.commonKey) => call<{ reason?: string }>(stack.apiUrl, 'DELETE', '/v1/push/subscriptions', { json: { appkey: key, endpoint } });
  assert.deepEqual([(await del(`${service.origin}/push/unknown`)).status, (await del(`${service.origin}/push/unknown`)).body.reason], [404, 'push_subscription_not_found']);
  assert.equal((await del(42)).body.reason, 'invalid_push_subscription');
  assert.equal((await del(sub.endpoint, t.subscribeKey)).status, 204);
  assert.equal((await subscriptionsOf(stack, t)).length, 0);
});

test('tenants are apart: another account cannot list or delete the subscriptions, and a publish never pushes another app', async () => {
  const a = await createTenant(stack.apiUrl);
  const b = await createTenant(stack.apiUrl);
  const subA = service.subscriber();
  const subB = service.subscriber();
  const createdA = await subscribe(stack, a, subA, ['news'], { userId: 'u1' });
  await subscribe(stack, b, subB, ['news'], { userId: 'u1' });

  const asB = (method: string, path: string) => call<{ reason: string }>(stack.apiUrl, method, path, { token: b.token });
  assert.equal((await asB('GET', `/v1/apps/${a.appId}/push`)).body.reason, 'app_not_found');
  assert.equal((await asB('GET', `/v1/apps/${a.appId}/push/subscriptions`)).body.reason, 'app_not_found');
  assert.equal((await asB('GET', `/v1/apps/${a.appId}/push/deliveries`)).body.reason, 'app_not_found');
  assert.equal((await asB('DELETE', `/v1/apps/${a.appId}/push/subscriptions/${createdA.body.id}`)).body.reason, 'app_not_found');
  assert.equal((await asB('DELETE', `/v1/apps/${b.appId}/push/subscriptions/${createdA.body.id}`)).body.reason, 'push_subscription_not_found');
  assert.equal((await asB('POST', `/v1/apps/${a.appId}/push/test`)).body.reason, 'app_not_found');
  const byKey = await call<{ reason: string }>(stack.apiUrl, 'DELETE', '/v1/push/subscriptions', { json: { appkey: b.commonKey, endpoint: subA.endpoint } });
  assert.deepEqual([byKey.status, byKey.body.reason], [404, 'push_subscription_not_found']);
  assert.deepEqual((await subscriptionsOf(stack, b, '?channel=news')).map((s) => s.endpoint), [subB.endpoint]);
  assert.deepEqual((await subscriptionsOf(stack, a, '?userId=u1')).map((s) => s.endpoint), [subA.endpoint]);

  await publishPush(stack, a, { channel: 'news', id: 'from-a', push: { title: 'a', body: 'a' } });
  await publishPush(stack, b, { channel: 'news', id: 'from-b', push: { title: 'b', body: 'b' } });
  assert.deepEqual(notices(await service.waitForDelivered(subA, 1)).map((n) => n.id), ['from-a']);
  assert.deepEqual(notices(await service.waitForDelivered(subB, 1)).map((n) => n.id), ['from-b']);
  await waitFor(async () => (await overview(stack, a)).stats.delivered === 1 && (await overview(stack, b)).stats.delivered === 1, { what: 'counters' });
  assert.equal(service.delivered(subA).length, 1);
  assert.equal(service.delivered(subB).length, 1);
  assert.notEqual(service.requests(subA)[0].vapid?.k, service.requests(subB)[0].vapid?.k, "each app's pushes are signed with its own key");
});

test("the plan's cap on subscriptions: a new endpoint past it is refused, an existing one still updates", async () => {
  const t = await createTenant(stack.apiUrl);
  const db = new pg.Client({ connectionString: loadConfig(environment()).databaseUrl });
  await db.connect();
  const planId = `push-cap-${randomBytes(4).toString('hex')}`;
  try {
    await db.query(
      `INSERT INTO "Plan" (id, name, "maxConnections", "maxMessagesPerDay", "maxPublishesPerSecond", "maxPayloadBytes", "historySize", "historyTtlSeconds", "maxChannelsPerConnection", "maxPushSubscriptions")
       VALUES ($1, 'push cap', 100, NULL, 100, 65536, 100, 3600, 10, 2)`,
      [planId],
    );
    await db.query('UPDATE "App" SET "planId" = $1 WHERE id = $2', [planId, t.appId]);
  } finally {
    await db.end();
  }
  // The cap is read with the count, under the app's row lock (not from the key cache).
  const [s1, s2, s3] = [service.subscriber(), service.subscriber(), service.subscriber()];
  assert.equal((await subscribe(stack, t, s1, ['c'])).status, 201);
  assert.equal((await subscribe(stack, t, s2, ['c'])).status, 201);
  const over = await subscribe(stack, t, s3, ['c']);
  assert.deepEqual([over.status, over.body.reason], [409, 'too_many_push_subscriptions']);
  assert.equal((await subscribe(stack, t, s1, ['c', 'd'])).status, 201, 'an existing endpoint updates past the cap');
});
