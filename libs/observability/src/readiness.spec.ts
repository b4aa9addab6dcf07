import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Readiness, probeWithin, type Probe } from './readiness.js';
import { redisSettingWarnings } from './redis-boot-check.js';

const silent = pino({ level: 'silent' });
const never: Probe = () => new Promise(() => undefined);
const ok: Probe = async () => 1;

test('probeWithin: ok, error and timeout, the timeout bounding a probe that never settles', async () => {
  assert.deepEqual(await probeWithin(ok, 100), { result: 'ok' });
  assert.deepEqual(await probeWithin(async () => Promise.reject(new Error('refused')), 100), { result: 'error', error: 'refused' });
  const started = Date.now();
  assert.deepEqual(await probeWithin(never, 30), { result: 'timeout' });
  assert.ok(Date.now() - started < 500);
});

test('ready when every probe answers; unready naming the failing one', async () => {
  assert.deepEqual(await new Readiness({ postgres: ok, redis: ok }, 50, silent).check(), { status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  const down = await new Readiness({ postgres: ok, redis: never }, 30, silent).check();
  assert.deepEqual(down, { status: 'unready', checks: { postgres: 'ok', redis: 'timeout' } });
});

test('a hung dependency is called once, however often /ready is asked', async () => {
  let calls = 0;
  const r = new Readiness({ redis: () => (calls++, never()) }, 20, silent);
  await Promise.all([r.check(), r.check()]);
  await r.check();
  assert.equal(calls, 1);
});

test('draining wins over healthy dependencies, and starts on shutdown', async () => {
  const r = new Readiness({ postgres: ok }, 50, silent);
  assert.equal(r.isDraining, false);
  r.beforeApplicationShutdown();
  assert.deepEqual(await r.check(), { status: 'draining' });
});

test('Redis settings: noeviction with AOF is quiet; each problem says what to set', () => {
  assert.deepEqual(redisSettingWarnings({ maxmemoryPolicy: 'noeviction', appendonly: 'yes', appendfsync: 'everysec' }), []);
  const w = redisSettingWarnings({ maxmemoryPolicy: 'allkeys-lru', appendonly: 'no', appendfsync: 'everysec' });
  assert.equal(w.length, 2);
  assert.match(w[0], /maxmemory-policy noeviction/);
  assert.match(w[1], /appendonly yes/);
  assert.match(redisSettingWarnings({ maxmemoryPolicy: 'noeviction', appendonly: 'yes', appendfsync: 'no' })[0], /appendfsync everysec/);
  // Unknown (CONFIG hid a value): nothing claimed.
  assert.deepEqual(redisSettingWarnings({}), []);
});
