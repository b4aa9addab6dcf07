import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { DEV_DEMO_PASSWORD } from '@herald/config';
import { ROOT, TestRedis, call, createTenant, restPublish, startStack, waitFor, type RunningApp, type Stack } from '@herald/testing';

// Operations basics on every app: liveness, readiness (with its own timeout), Prometheus metrics, and the
// boot-time warning about Redis settings that put accepted publishes at risk (DESIGN §9).

const SERIES: Record<RunningApp['name'], string[]> = {
  api: ['herald_messages_in_total', 'herald_publish_accepted_total', 'herald_errors_total', 'herald_queue_depth'],
  gateway: [
    'herald_connections',
    'herald_connections_total',
    'herald_messages_in_total',
    'herald_messages_out_total',
    'herald_publish_to_deliver_seconds',
    'herald_errors_total',
    'herald_publish_accepted_total',
  ],
  worker: ['herald_errors_total', 'herald_queue_depth'],
};

async function scrape(app: RunningApp): Promise<{ contentType: string; text: string }> {
  const res = await fetch(`${app.url}/metrics`);
  assert.equal(res.status, 200, `${app.name} /metrics`);
  return { contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The value of one sample, e.g. sample(text, 'herald_messages_in_total', {source: 'rest'}); 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return 0;
}

async function ready(app: RunningApp): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = Date.now();
  const r = await call(app.url, 'GET', '/ready');
  return { status: r.status, body: r.body, ms: Date.now() - started };
}

describe('on a healthy stack', () => {
  let stack: Stack;
  before(async () => {
    // info, so the api's request lines can be read back from its output.
    // debug: request lines are written at debug (a 5xx at error), so operators see them when they ask.
    stack = await startStack({ env: { HERALD_LOG_LEVEL: 'debug' } });
  });
  after(() => stack.stop());
  const apps = () => [stack.api, ...stack.gateways, ...stack.workers];

  test('/health and /ready answer 200 on api, gateway and worker', async () => {
    for (const app of apps()) {
      assert.deepEqual((await call(app.url, 'GET', '/health')).body, { status: 'ok' }, app.name);
      // A probe is bounded by its 1 s timeout, and a loaded CI machine can miss it once (a first Postgres
      // connection): orchestrators poll, so the test does too — what must hold is that every app turns ready.
      let r: Awaited<ReturnType<typeof ready>> | undefined;
      await waitFor(async () => (r = await ready(app)).status === 200, { what: `${app.name} /ready 200`, timeoutMs: 10_000, intervalMs: 200 }).catch(() => {
        assert.fail(`${app.name} /ready: ${r?.status} ${JSON.stringify(r?.body)}`);
      });
      assert.deepEqual(r?.body, { status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    }
  });

  test('/metrics exposes the Herald series in the Prometheus text format, labelled by app', async () => {
    for (const app of apps()) {
      const { contentType, text } = await scrape(app);
      assert.match(contentType, /^text\/plain; version=0\.0\.4/, app.name);
      for (const name of SERIES[app.name]) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${app.name}: ${name} missing`);
      assert.match(text, new RegExp(`^process_cpu_seconds_total\\{app="${app.name}"\\}`, 'm'), `${app.name}: default metrics`);
    }
  });

  test('a REST publish moves the api counters; queue depth is read from BullMQ on the worker', async () => {
    const t = await createTenant(stack.apiUrl);
    const before = (await scrape(stack.api)).text;
    await restPublish(stack.apiUrl, t.secret, { channel: 'ops', message: 1 });
    await restPublish(stack.apiUrl, t.secret, { channel: 'ops', message: 2 });
    const bad = await call(stack.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: { channel: 'bad channel!', message: 1 } });
    assert.equal(bad.status, 400);
    const after = (await scrape(stack.api)).text;
    const delta = (name: string, labels?: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    assert.equal(delta('herald_messages_in_total', { source: 'rest', app: 'api' }), 3);
    assert.equal(delta('herald_publish_accepted_total'), 2);
    assert.equal(delta('herald_errors_total', { reason: 'invalid_channel' }), 1);

    const worker = (await scrape(stack.workers[0])).text;
    for (const queue of ['scheduled', 'webhooks']) {
      for (const state of ['waiting', 'active', 'delayed', 'failed']) {
        assert.match(worker, new RegExp(`^herald_queue_depth\\{queue="${queue}",state="${state}",app="worker"\\} \\d+$`, 'm'));
      }
    }
    assert.match(worker, /^herald_dead_letters\{app="worker"\} 0$/m);
  });

  test('the api logs one line per request (at debug) with its request id, echoed or generated', async () => {
    const given = await fetch(`${stack.apiUrl}/v1/nothing-here`, { headers: { 'x-request-id': 'ops-test-1' } });
    assert.equal(given.headers.get('x-request-id'), 'ops-test-1');
    const generated = await fetch(`${stack.apiUrl}/v1/nothing-here`);
    const generatedId = generated.headers.get('x-request-id') ?? '';
    assert.match(generatedId, /^[0-9a-f-]{36}$/);
    for (const id of ['ops-test-1', generatedId]) {
      await waitFor(() => stack.api.output().includes(`"requestId":"${id}","method":"GET","path":"/v1/nothing-here","status":404`), { what: `request line ${id}` });
    }
  });
});

describe('on a Redis without AOF that then dies', () => {
  let redis: TestRedis;
  let stack: Stack;
  before(async () => {
    redis = await TestRedis.start();
    // 1 s per probe: bounded well under the 2 s the test allows, with room for a loaded machine's Postgres.
    stack = await startStack({ env: { REDIS_URL: redis.url, HERALD_READY_TIMEOUT_MS: '1000' } });
  });
  after(async () => {
    await stack.stop();
    await redis.stop();
  });

  test('the api warns once at boot that AOF is off, saying what to set; the other apps leave it to the api', async () => {
    await waitFor(() => stack.api.output().includes('set \\"appendonly yes\\"'), { what: 'api AOF warning', timeoutMs: 5_000 });
    assert.equal(stack.api.output().split('Redis AOF is off').length - 1, 1, 'one warning per condition');
    assert.doesNotMatch(stack.api.output(), /maxmemory-policy is/, 'TestRedis runs noeviction');
    // Every app was healthy before the api's warning appeared: a check of their own would have logged by now.
    for (const app of [...stack.gateways, ...stack.workers]) assert.doesNotMatch(app.output(), /Redis AOF is off/, `${app.name} repeats the warning`);
  });

  test('/ready turns 503 naming Redis within seconds, each probe bounded by its timeout; /health stays 200', async () => {
    await redis.kill();
    for (const app of [...stack.gateways, stack.api, ...stack.workers]) {
      let last: Awaited<ReturnType<typeof ready>> | undefined;
      await waitFor(
        async () => {
          last = await ready(app);
          assert.ok(last.ms < 2_000, `${app.name} /ready took ${last.ms} ms`);
          return last.status === 503;
        },
        { what: `${app.name} /ready 503`, timeoutMs: 5_000, intervalMs: 100 },
      );
      assert.equal(last?.body.status, 'unready');
      const checks = last?.body.checks as Record<string, string>;
      assert.notEqual(checks.redis, 'ok', app.name);
      assert.equal(checks.postgres, 'ok', app.name);
      assert.equal((await call(app.url, 'GET', '/health')).status, 200);
    }
  });
});

describe('the demo seed in production', () => {
  let stack: Stack;
  before(async () => {
    // The seed's production key must be the API's too: the API opens the secrets the seed sealed.
    stack = await startStack({ gateways: 0, workers: 0, env: { HERALD_MASTER_KEY: randomBytes(32).toString('hex') } });
  });
  after(() => stack.stop());

  const seed = async (email: string, env: Record<string, string> = {}) => {
    const { stdout } = await promisify(execFile)(process.execPath, ['dist/apps/api/src/seed/main.js'], {
      cwd: ROOT,
      env: { ...process.env, ...stack.env, NODE_ENV: 'production', HERALD_DEMO_EMAIL: email, ...env },
      encoding: 'utf8',
    });
    return JSON.parse(stdout.trim()) as { email: string; password: string | null };
  };
  const login = async (email: string, password: string) => (await call(stack.apiUrl, 'POST', '/v1/sessions', { json: { email, password } })).status;
  const email = () => `seed-${randomBytes(6).toString('hex')}@example.test`;

  test('with no HERALD_DEMO_PASSWORD the admin gets a generated password, printed by that run only', async () => {
    const admin = email();
    const first = await seed(admin);
    assert.ok(first.password && first.password !== DEV_DEMO_PASSWORD && first.password.length >= 20, `generated: ${first.password}`);
    assert.equal(await login(admin, first.password), 201);
    assert.equal(await login(admin, DEV_DEMO_PASSWORD), 401);
    // A second run (every `docker compose up`) neither rotates nor reprints it.
    assert.equal((await seed(admin)).password, null);
    assert.equal(await login(admin, first.password), 201);
  });

  test('an admin seeded with the published password in development gets a generated one', async () => {
    const admin = email();
    assert.equal((await seed(admin, { NODE_ENV: 'development' })).password, DEV_DEMO_PASSWORD);
    const rotated = await seed(admin);
    assert.ok(rotated.password && rotated.password !== DEV_DEMO_PASSWORD);
    assert.equal(await login(admin, DEV_DEMO_PASSWORD), 401);
    assert.equal(await login(admin, rotated.password), 201);
  });

  test('a chosen HERALD_DEMO_PASSWORD is used; the published one is refused, naming the variable', async () => {
    const admin = email();
    assert.equal((await seed(admin, { HERALD_DEMO_PASSWORD: 'an operator-chosen one' })).password, 'an operator-chosen one');
    assert.equal(await login(admin, 'an operator-chosen one'), 201);
    await assert.rejects(seed(email(), { HERALD_DEMO_PASSWORD: DEV_DEMO_PASSWORD }), /HERALD_DEMO_PASSWORD is the published default/);
  });
});

