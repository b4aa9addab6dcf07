import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyWebhook } from '@herald/webhooks';
import { WebhookReceiver, WsClient, call, callOk, createTenant, restPublish, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';

// Two gateways (occupancy across gateways), one worker; short retry timings (TEST_TIMINGS).
let stack: Stack;
const receivers: WebhookReceiver[] = [];
before(async () => {
  stack = await startStack({ gateways: 2 });
});
after(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  await stack.stop();
});

const ALL = ['message.published', 'channel.occupied', 'channel.vacated', 'member.joined', 'member.left'];

interface Hook {
  id: string;
  secret: string;
}

interface Delivery {
  id: string;
  status: string;
  attempts: number;
  replays: number;
  eventIds: string[];
  attemptLog: Array<{ ok: boolean; statusCode: number | null; latencyMs: number; error: string | null }>;
}

async function receiver(): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start();
  receivers.push(r);
  return r;
}

function addHook(s: Stack, t: Tenant, url: string, events = ALL): Promise<Hook> {
  return callOk<Hook>(s.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url, events } });
}

const deliveries = (s: Stack, t: Tenant, hook: Hook, q = '') => callOk<Delivery[]>(s.apiUrl, 'GET', `/v1/apps/${t.appId}/webhooks/${hook.id}/deliveries${q}`, { token: t.token });

test('a local receiver gets every event type, each delivery signed with the webhook secret', async () => {
  const t = await createTenant(stack.apiUrl);
  const rx = await receiver();
  const hook = await addHook(stack, t, rx.url);
  assert.match(hook.secret, /^whsec_/);

  const ann = await WsClient.connect(stack.wsUrl(0), t.commonKey, { query: { id: 'ann', data: '{"name":"Ann"}' } });
  assert.equal((await ann.request({ type: 'subscribe', channel: 'room', presence: true })).type, 'subscribed');
  await restPublish(stack.apiUrl, t.secret, { channel: 'room', message: { hi: 1 }, id: 'msg-1' });
  await rx.waitForEvents(1, 'message.published');
  ann.close();
  await rx.waitForEvents(1, 'channel.vacated');
  await rx.waitForEvents(1, 'member.left');

  const seen = new Set(rx.acceptedEvents().map((e) => e.type));
  assert.deepEqual([...seen].sort(), [...ALL].sort());
  for (const d of rx.requests) {
    assert.ok(verifyWebhook(hook.secret, d.raw, d.headers['x-herald-signature'] as string), 'signature must verify');
    assert.ok(!verifyWebhook('whsec_wrong', d.raw, d.headers['x-herald-signature'] as string));
    assert.equal(d.body.appId, t.appId);
    assert.equal(d.headers['x-herald-delivery'], d.body.id);
  }
  const events = rx.acceptedEvents();
  assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'event ids are unique');
  const published = rx.acceptedEvents('message.published')[0];
  assert.deepEqual(published.data, { id: 'msg-1', offset: 1, epoch: (published.data as { epoch: string }).epoch, content: { hi: 1 } });
  assert.equal(published.channel, 'room');
  assert.deepEqual((rx.acceptedEvents('member.joined')[0].data as { id: string; data: unknown }).data, { name: 'Ann' });
  // A tampered body does not verify.
  const d = rx.requests[0];
  assert.ok(!verifyWebhook(hook.secret, d.raw.replace(t.appId, 'app_other'), d.headers['x-herald-signature'] as string));
});

test('a receiver failing the first 3 attempts gets the 4th; the log shows all 4', async () => {
  const t = await createTenant(stack.apiUrl);
  const rx = await receiver();
  rx.respond = (_d, nth) => (nth <= 3 ? 500 : 200);
  const hook = await addHook(stack, t, rx.url, ['message.published']);
  await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: 'retry me' });
  await rx.waitForEvents(1, 'message.published');
  assert.equal(rx.requests.length, 4);
  assert.equal(new Set(rx.requests.map((r) => r.body.id)).size, 1, 'one delivery, attempted 4 times');
  assert.deepEqual(rx.requests.map((r) => r.headers['x-herald-attempt']), ['1', '2', '3', '4']);
  // Backoff grows between attempts.
  const gaps = rx.requests.slice(1).map((r, i) => r.at - rx.requests[i].at);
  assert.ok(gaps[2] > gaps[0], `backoff should grow: ${gaps.join(', ')}`);
  let log: Delivery[] = [];
  await waitFor(async () => (log = await deliveries(stack, t, hook))[0]?.status === 'delivered');
  assert.equal(log.length, 1);
  assert.equal(log[0].attempts, 4);
  assert.deepEqual(log[0].attemptLog.map((a) => [a.ok, a.statusCode]), [[false, 500], [false, 500], [false, 500], [true, 200]]);
  assert.match(log[0].attemptLog[0].error ?? '', /HTTP 500/);
});

test('a hanging receiver times out and fails; replay re-sends the same delivery with the same event ids', async () => {
  const t = await createTenant(stack.apiUrl);
  const rx = await receiver();
  rx.respond = (_d, nth) => (nth === 1 ? 'hang' : 503);
  const hook = await addHook(stack, t, rx.url, ['message.published']);
  const from = new Date(Date.now() - 1000).toISOString();
  await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: 'one' });
  let failed: Delivery[] = [];
  await waitFor(async () => (failed = await deliveries(stack, t, hook, '?status=failed')).length === 1, { timeoutMs: 15_000, what: 'delivery failed for good' });
  const [d] = failed;
  assert.ok(d.attempts >= 4, `attempts ${d.attempts}`);
  assert.match(d.attemptLog[0].error ?? '', /timeout/);
  const firstEventIds = rx.requests[0].body.events.map((e) => e.id);

  rx.respond = () => 200;
  const one = await call<{ replayed: number }>(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks/${hook.id}/deliveries/${d.id}/replay`, { token: t.token });
  assert.deepEqual([one.status, one.body.replayed], [202, 1]);
  await rx.waitForEvents(1);
  const replayed = rx.accepted()[0];
  assert.equal(replayed.body.id, d.id);
  assert.deepEqual(replayed.body.events.map((e) => e.id), firstEventIds);
  assert.ok(verifyWebhook(hook.secret, replayed.raw, replayed.headers['x-herald-signature'] as string));
  await waitFor(async () => (await deliveries(stack, t, hook))[0].status === 'delivered');

  // Replay of all failed in a time range: two more failures, then one call re-sends both.
  rx.respond = () => 500;
  await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: 'two' });
  await restPublish(stack.apiUrl, t.secret, { channel: 'c2', message: 'three' });
  await waitFor(async () => (await deliveries(stack, t, hook, '?status=failed')).length >= 1 && (await deliveries(stack, t, hook, '?status=pending')).length === 0, { timeoutMs: 15_000, what: 'failed for good' });
  const failedIds = (await deliveries(stack, t, hook, '?status=failed')).flatMap((x) => x.eventIds).sort();
  rx.respond = () => 200;
  const all = await callOk<{ replayed: number }>(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks/${hook.id}/replay`, { token: t.token, json: { from, to: new Date(Date.now() + 1000).toISOString() } });
  assert.ok(all.replayed >= 1);
  await waitFor(() => rx.acceptedEvents().length >= 1 + failedIds.length, { what: 'replayed events' });
  assert.deepEqual(rx.acceptedEvents().slice(1).map((e) => e.id).sort(), failedIds);
});

test('two gateways gaining their first subscriber at once → one channel.occupied; the last leaving anywhere → one vacated', async () => {
  const t = await createTenant(stack.apiUrl);
  const rx = await receiver();
  await addHook(stack, t, rx.url, ['channel.occupied', 'channel.vacated']);
  const round = async (channel: string) => {
    const clients = await Promise.all([0, 1, 0, 1].map((g) => WsClient.connect(stack.wsUrl(g), t.commonKey)));
    await Promise.all(clients.map((c) => c.subscribe(channel)));
    await rx.waitForEvents(1, 'channel.occupied');
    // Leaving one by one, across both gateways: only the last one vacates.
    for (const c of clients) {
      c.close();
      await waitFor(() => c.closeCode !== undefined);
    }
    await waitFor(() => rx.acceptedEvents('channel.vacated').some((e) => e.channel === channel), { what: `vacated ${channel}` });
  };
  for (let i = 0; i < 3; i++) await round(`busy-${i}`);
  // A last round on another channel: once its events are in, every event before it is too.
  await round('marker');
  for (let i = 0; i < 3; i++) {
    const of = (type: string) => rx.acceptedEvents(type).filter((e) => e.channel === `busy-${i}`).length;
    assert.deepEqual([of('channel.occupied'), of('channel.vacated')], [1, 1], `busy-${i}`);
  }
});

test('a gateway killed while holding a channel: its lease lapses and the channel is vacated once', async () => {
  const s = await startStack({ gateways: 2 });
  try {
    const t = await createTenant(s.apiUrl);
    const rx = await receiver();
    await addHook(s, t, rx.url, ['channel.occupied', 'channel.vacated']);
    const a = await WsClient.connect(s.wsUrl(0), t.commonKey);
    const b = await WsClient.connect(s.wsUrl(1), t.commonKey);
    await a.subscribe('x');
    await b.subscribe('x');
    await rx.waitForEvents(1, 'channel.occupied');
    await s.gateways[0].stop('SIGKILL');
    b.close();
    await rx.waitForEvents(1, 'channel.vacated', 10_000);
    const c = await WsClient.connect(s.wsUrl(1), t.commonKey);
    await c.subscribe('x');
    await rx.waitForEvents(2, 'channel.occupied');
    c.close();
    await rx.waitForEvents(2, 'channel.vacated');
    assert.deepEqual(rx.acceptedEvents().map((e) => e.type), ['channel.occupied', 'channel.vacated', 'channel.occupied', 'channel.vacated']);
  } finally {
    await s.stop();
  }
});

test('worker SIGKILLed with deliveries pending: after the restart none is lost and none delivered twice', async () => {
  // The killed worker's in-flight deliveries hold the app's fair-share slots until their lease lapses
  // (2 × timeout + 5 s): the retry period must outlast that, or they are rightly parked as failed.
  const s = await startStack({ workers: 1, env: { HERALD_WEBHOOK_RETRY_PERIOD_MS: '60000' } });
  try {
    const t = await createTenant(s.apiUrl);
    const rx = await receiver();
    rx.respond = () => 503;
    await addHook(s, t, rx.url, ['message.published']);
    for (let i = 0; i < 30; i++) await restPublish(s.apiUrl, t.secret, { channel: `k${i % 3}`, message: i, id: `k-${i}` });
    await waitFor(() => rx.requests.length >= 2, { what: 'first failed attempts' });
    await s.workers[0].stop('SIGKILL');
    // More while no worker runs: they wait in Redis (archive stream) for the next worker.
    for (let i = 30; i < 40; i++) await restPublish(s.apiUrl, t.secret, { channel: `k${i % 3}`, message: i, id: `k-${i}` });
    rx.respond = () => 200;
    await s.startWorker();
    const got = await rx.waitForEvents(40, 'message.published', 30_000);
    const ids = got.map((e) => (e.data as { id: string }).id);
    assert.deepEqual([...new Set(ids)].sort(), Array.from({ length: 40 }, (_, i) => `k-${i}`).sort());
    // Nothing more arrives: a marker published now is the next and last thing received.
    await restPublish(s.apiUrl, t.secret, { channel: 'k0', message: 'end', id: 'end' });
    await rx.waitForEvents(41, 'message.published');
    const all = rx.acceptedEvents('message.published').map((e) => e.id);
    assert.equal(all.length, 41, 'an event delivered twice');
    assert.equal(new Set(all).size, 41);
  } finally {
    await s.stop();
  }
});

test('webhook CRUD and bad input: not http(s) → 400, unknown events → 400, other account → 404', async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const post = (json: unknown, token = t.token, appId = t.appId) => call(stack.apiUrl, 'POST', `/v1/apps/${appId}/webhooks`, { token, json });
  assert.deepEqual([(await post({ url: 'ftp://example.com/x', events: ['channel.occupied'] })).body.reason], ['invalid_webhook_url']);
  assert.deepEqual([(await post({ url: 'not a url', events: ['channel.occupied'] })).body.reason], ['invalid_webhook_url']);
  assert.equal((await post({ url: 'http://example.com', events: ['nope'] })).status, 400);
  assert.equal((await post({ url: 'http://example.com', events: [] })).status, 400);
  assert.equal((await post({ url: 'http://example.com', events: ['channel.occupied'] }, other.token)).status, 404);
  const created = await callOk<Hook & { url: string; enabled: boolean }>(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url: 'http://example.com/h', events: ['channel.occupied'] } });
  const listed = await callOk<Array<{ id: string; secret?: string }>>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/webhooks`, { token: t.token });
  assert.deepEqual(listed.map((w) => [w.id, w.secret]), [[created.id, undefined]]);
  const patched = await callOk<{ enabled: boolean; events: string[] }>(stack.apiUrl, 'PATCH', `/v1/apps/${t.appId}/webhooks/${created.id}`, { token: t.token, json: { enabled: false, events: ['member.joined'] } });
  assert.deepEqual([patched.enabled, patched.events], [false, ['member.joined']]);
  assert.equal((await call(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/webhooks/${created.id}`, { token: other.token })).status, 404);
  assert.equal((await call(stack.apiUrl, 'DELETE', `/v1/apps/${t.appId}/webhooks/${created.id}`, { token: t.token })).status, 204);
  assert.equal((await call(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/webhooks/${created.id}`, { token: t.token })).body.reason, 'webhook_not_found');
});

test('SSRF guard on by default: private targets refused at creation (400 webhook_url_private) and at delivery', async () => {
  // A stack with the guard as deployed (no HERALD_WEBHOOKS_ALLOW_PRIVATE), sharing the database with the
  // lenient test stack, which stands for a host whose DNS answer turned private after the webhook was saved.
  const strict = await startStack({ gateways: 0, env: { HERALD_WEBHOOKS_ALLOW_PRIVATE: 'false' } });
  try {
    const t = await createTenant(strict.apiUrl);
    const rx = await receiver();
    const port = new URL(rx.url).port;
    const post = (url: string) => call(strict.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url, events: ['message.published'] } });
    for (const url of [rx.url, `http://localhost:${port}/hook`, `http://[::1]:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`, `http://[::ffff:7f00:1]:${port}/`, `http://[::7f00:1]:${port}/`, 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.1/', 'http://100.64.0.1/', 'http://[fd00::1]/', 'http://0.0.0.0/']) {
      const r = await post(url);
      assert.deepEqual([r.status, r.body.reason], [400, 'webhook_url_private'], url);
    }
    const saved = await callOk<Hook>(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url: `http://localhost:${port}/hook`, events: ['message.published'] } });
    const patched = await call(strict.apiUrl, 'PATCH', `/v1/apps/${t.appId}/webhooks/${saved.id}`, { token: t.token, json: { url: `http://[::ffff:7f00:1]:${port}/` } });
    assert.deepEqual([patched.status, patched.body.reason], [400, 'webhook_url_private']);

    // Delivery time: the strict worker resolves `localhost`, finds a loopback address and never connects.
    await restPublish(strict.apiUrl, t.secret, { channel: 'c', message: 'probe' });
    let log: Delivery[] = [];
    await waitFor(async () => ((log = await deliveries(stack, t, saved))[0]?.attempts ?? 0) >= 2, { timeoutMs: 15_000, what: 'refused attempts logged' });
    assert.match(log[0].attemptLog[0].error ?? '', /refused: localhost resolves to a non-public address/);
    assert.equal(log[0].attemptLog[0].statusCode, null);
    assert.equal(rx.requests.length, 0, 'the receiver on loopback was never reached');
  } finally {
    await strict.stop();
  }
});
