import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebhookReceiver, call, callOk, createTenant, restPublish, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';

// Issue 13 item 2: one tenant's webhooks must not starve every tenant's. Each test runs its own stack
// (no gateway: message.published needs only the API and the worker) with the timings it is about.
const receivers: WebhookReceiver[] = [];
const stacks: Stack[] = [];
after(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  await Promise.all(stacks.map((s) => s.stop()));
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start();
  receivers.push(r);
  return r;
}

async function stackWith(env: Record<string, string>): Promise<Stack> {
  const s = await startStack({ gateways: 0, env });
  stacks.push(s);
  return s;
}

const addHook = (s: Stack, t: Tenant, url: string) => call<{ id: string; reason?: string; content?: string }>(s.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url, events: ['message.published'] } });

interface Delivery {
  id: string;
  status: string;
  attempts: number;
}
const deliveries = (s: Stack, t: Tenant, hookId: string, q = '') => callOk<Delivery[]>(s.apiUrl, 'GET', `/v1/apps/${t.appId}/webhooks/${hookId}/deliveries?limit=500${q}`, { token: t.token });

test('endpoints per app are capped by the plan: 409 too_many_webhooks, also for concurrent creations', async () => {
  const s = await stackWith({});
  const t = await createTenant(s.apiUrl, { planId: 'free' });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await addHook(s, t, `http://example.com/h${i}`);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids.push(r.body.id);
  }
  const over = await addHook(s, t, 'http://example.com/h5');
  assert.deepEqual([over.status, over.body.reason], [409, 'too_many_webhooks']);
  assert.match(String(over.body.content), /At most 5 webhooks/);

  // Freeing one place lets exactly one of several concurrent creations in.
  assert.equal((await call(s.apiUrl, 'DELETE', `/v1/apps/${t.appId}/webhooks/${ids[0]}`, { token: t.token })).status, 204);
  const race = await Promise.all(Array.from({ length: 6 }, (_, i) => addHook(s, t, `http://example.com/r${i}`)));
  assert.deepEqual(race.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409], JSON.stringify(race.map((r) => r.body)));
  assert.equal((await callOk<unknown[]>(s.apiUrl, 'GET', `/v1/apps/${t.appId}/webhooks`, { token: t.token })).length, 5);
});

test("tenant A's black-hole endpoints (every one its plan allows, >= 64 deliveries in flight) do not delay tenant B's webhook", async () => {
  // A long delivery timeout, so A's requests stay held for the whole test; one event per delivery.
  const s = await stackWith({ HERALD_WEBHOOK_TIMEOUT_MS: '30000', HERALD_WEBHOOK_MAX_EVENTS: '1' });
  const appShare = 16; // HERALD_WEBHOOK_APP_CONCURRENCY's default
  const a = await createTenant(s.apiUrl, { planId: 'free' });
  const b = await createTenant(s.apiUrl, { planId: 'free' });
  const hole = await receiver();
  hole.respond = () => 'hang';
  const hooks: string[] = [];
  for (;;) {
    const r = await addHook(s, a, `${hole.url}/${hooks.length}`);
    if (r.status !== 201) {
      assert.equal(r.body.reason, 'too_many_webhooks');
      break;
    }
    hooks.push(r.body.id);
  }
  assert.ok(hooks.length >= 1);
  const messages = Math.ceil(70 / hooks.length);
  for (let i = 0; i < messages; i++) await restPublish(s.apiUrl, a.secret, { channel: `flood-${i}`, message: i });
  await waitFor(() => hole.requests.length >= appShare, { timeoutMs: 20_000, what: `A's first ${appShare} requests held` });
  let pending = 0;
  await waitFor(async () => (pending = (await Promise.all(hooks.map((h) => deliveries(s, a, h, '&status=pending')))).flat().length) >= 64, {
    timeoutMs: 20_000,
    what: `>= 64 of A's deliveries pending (have ${pending})`,
  });

  const rx = await receiver();
  assert.equal((await addHook(s, b, rx.url)).status, 201);
  const started = Date.now();
  await restPublish(s.apiUrl, b.secret, { channel: 'calm', message: 'hello' });
  await rx.waitForEvents(1, 'message.published', 20_000);
  const latency = Date.now() - started;
  assert.ok(latency < 5_000, `B's webhook took ${latency} ms while A's endpoints hang`);
  // A's requests are still held (30 s timeout) and never more than its share at once.
  assert.equal(hole.accepted().length, 0);
  assert.ok(hole.requests.length <= appShare, `A had ${hole.requests.length} requests in flight, over its share of ${appShare}`);
});

test('an endpoint that keeps timing out trips its circuit: no sends during the cool-down, one probe, nothing lost', async () => {
  const timeoutMs = 1000;
  const cooldownMs = 3000;
  const s = await stackWith({
    HERALD_WEBHOOK_TIMEOUT_MS: String(timeoutMs),
    HERALD_WEBHOOK_CIRCUIT_FAILURES: '3',
    HERALD_WEBHOOK_CIRCUIT_COOLDOWN_MS: String(cooldownMs),
    HERALD_WEBHOOK_RETRY_PERIOD_MS: '120000',
    HERALD_WEBHOOK_MAX_EVENTS: '1',
  });
  const t = await createTenant(s.apiUrl);
  const rx = await receiver();
  rx.respond = () => 'hang';
  const hook = await addHook(s, t, rx.url);
  assert.equal(hook.status, 201);
  for (let i = 0; i < 6; i++) await restPublish(s.apiUrl, t.secret, { channel: `c${i}`, message: i, id: `m-${i}` });

  // The first attempts hang and time out; the third failure opens the circuit (a retry of an early
  // failure may slip in before that: the attempts did not all start at once). From then on, nothing is
  // sent for the cool-down; the next request is the half-open probe, alone.
  await waitFor(() => rx.requests.length >= 3, { timeoutMs: 20_000, what: 'three attempts' });
  const openedBy = rx.requests[2].at + timeoutMs + 300; // the third failure, with room for a slow machine
  const after = () => rx.requests.filter((r) => r.at > openedBy).map((r) => r.at);
  await waitFor(() => after().length >= 1, { timeoutMs: 20_000, what: 'the half-open probe' });
  const [probe] = after();
  assert.ok(probe - openedBy >= 0.8 * cooldownMs - 300, `a request ${probe - openedBy} ms after the circuit opened: it did not hold`);
  // The probe hangs too: the circuit reopens, and the next request is again a cool-down later.
  await waitFor(() => after().length >= 2, { timeoutMs: 20_000, what: 'the second probe' });
  assert.ok(after()[1] - probe >= timeoutMs + 0.8 * cooldownMs, 'a failed probe must reopen the circuit');

  // The endpoint recovers: the next probe closes the circuit and every deferred delivery goes out.
  rx.respond = () => 200;
  await waitFor(() => new Set(rx.accepted().map((r) => r.body.id)).size === 6, { timeoutMs: 30_000, what: 'all 6 deliveries after recovery' });
  const ids = rx.acceptedEvents('message.published').map((e) => (e.data as { id: string }).id);
  assert.deepEqual([...new Set(ids)].sort(), ['m-0', 'm-1', 'm-2', 'm-3', 'm-4', 'm-5']);
  let log: Delivery[] = [];
  await waitFor(async () => (log = await deliveries(s, t, hook.body.id)).every((d) => d.status === 'delivered') && log.length === 6, { what: 'log shows 6 delivered' });
  // Deferral did not use attempts: every attempt counted is a request the endpoint received.
  assert.ok(log.reduce((n, d) => n + d.attempts, 0) <= rx.requests.length, JSON.stringify(log.map((d) => d.attempts)));
});

test('a delivery kept waiting by an open circuit is parked as failed at the end of the retry period, replayable', async () => {
  const s = await stackWith({ HERALD_WEBHOOK_CIRCUIT_FAILURES: '2', HERALD_WEBHOOK_CIRCUIT_COOLDOWN_MS: '60000', HERALD_WEBHOOK_RETRY_PERIOD_MS: '3000' });
  const t = await createTenant(s.apiUrl);
  const rx = await receiver();
  rx.respond = () => 500;
  const hook = await addHook(s, t, rx.url);
  await restPublish(s.apiUrl, t.secret, { channel: 'c', message: 'parked' });
  let log: Array<Delivery & { attemptLog: Array<{ ok: boolean; statusCode: number | null; error: string | null }> }> = [];
  await waitFor(async () => (log = (await deliveries(s, t, hook.body.id)) as typeof log)[0]?.status === 'failed', { timeoutMs: 20_000, what: 'the delivery parked' });
  // Two real attempts opened the circuit (cool-down 60 s); the delivery then waited, and was parked
  // when its 3 s retry period ran out, with the reason in its log.
  assert.equal(rx.requests.length, 2);
  assert.deepEqual(log[0].attemptLog.map((a) => [a.ok, a.statusCode]), [[false, 500], [false, 500], [false, null]]);
  assert.match(log[0].attemptLog[2].error ?? '', /circuit is open/);
  const replay = await call<{ replayed: number }>(s.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks/${hook.body.id}/deliveries/${log[0].id}/replay`, { token: t.token });
  assert.deepEqual([replay.status, replay.body.replayed], [202, 1]);
});
