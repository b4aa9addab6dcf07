import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type HeraldConfig } from '@herald/config';
import { RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { DeliveryGate, type DeliveryGatePolicy } from '@herald/webhooks';
import { dropRedisPrefix, uniquePrefix } from '@herald/testing';

// The webhook fair share and circuit breaker against the real Redis, two workers' connections sharing one
// prefix, with the clock passed in so every transition is checked exactly.
let config: HeraldConfig;
let redisA: RedisClient;
let redisB: RedisClient;
let keys: RedisKeys;

before(() => {
  config = loadConfig({ ...process.env, HERALD_REDIS_PREFIX: uniquePrefix(), HERALD_LOG_LEVEL: 'silent' });
  redisA = createRedis(config, 'command', 'gate-a');
  redisB = createRedis(config, 'command', 'gate-b');
  keys = RedisKeys.of(config);
});

after(async () => {
  redisA.disconnect();
  redisB.disconnect();
  await dropRedisPrefix(config, config.redisPrefix);
});

const policy: DeliveryGatePolicy = { appConcurrency: 3, slotLeaseMs: 10_000, deferMs: 500, circuitFailures: 2, circuitCooldownMs: 5_000 };
const T = 1_000_000;

test("an app's share holds across workers; slots free on leave, and a dead worker's lapse with their lease", async () => {
  const a = new DeliveryGate(redisA, keys, policy);
  const b = new DeliveryGate(redisB, keys, policy);
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).enter('app_fair', `wh_${i}`, `job-${i}`, T)));
  assert.equal(answers.filter((x) => x.go).length, 3);
  for (const x of answers.filter((y) => !y.go)) assert.deepEqual(x, { go: false, retryAt: T + 500, why: 'busy' });
  // Another app is not affected by this one's share.
  assert.deepEqual(await a.enter('app_other', 'wh_x', 'job-x', T), { go: true, probe: false });

  const holder = answers.findIndex((x) => x.go);
  await (holder % 2 ? a : b).leave('app_fair', `wh_${holder}`, `job-${holder}`, true, T + 10);
  assert.equal((await a.enter('app_fair', 'wh_9', 'job-9', T + 20)).go, true);
  assert.equal((await a.enter('app_fair', 'wh_10', 'job-10', T + 30)).go, false);
  // Nobody leaves (a killed worker): the slots lapse after their lease.
  assert.equal((await b.enter('app_fair', 'wh_10', 'job-10', T + 10_001)).go, true);
});

test('circuit: opens after N consecutive failures, waits the cool-down, lets one probe through, reopens or closes', async () => {
  const a = new DeliveryGate(redisA, keys, policy);
  const b = new DeliveryGate(redisB, keys, policy);
  const app = 'app_circuit';
  const hook = 'wh_black_hole';
  // A success between failures resets the count: failures must be consecutive.
  for (const [i, ok] of [[1, false], [2, true], [3, false]] as const) {
    assert.equal((await a.enter(app, hook, `j${i}`, T)).go, true);
    assert.equal(await a.leave(app, hook, `j${i}`, ok, T), undefined);
  }
  assert.equal((await a.enter(app, hook, 'j4', T + 100)).go, true);
  assert.equal(await a.leave(app, hook, 'j4', false, T + 100), 'opened');

  // Open: every worker defers to the end of the cool-down, without taking a slot.
  assert.deepEqual(await b.enter(app, hook, 'j5', T + 200), { go: false, retryAt: T + 5_100, why: 'circuit' });
  assert.equal((await redisA.zcard(keys.webhookSlots(app))), 0);
  // Another endpoint of the same app is not affected.
  assert.equal((await a.enter(app, 'wh_fine', 'j6', T + 200)).go, true);
  await a.leave(app, 'wh_fine', 'j6', true, T + 200);

  // Half-open: one probe; the others wait for it (at most one defer period at a time).
  const [p1, p2] = await Promise.all([a.enter(app, hook, 'p1', T + 5_100), b.enter(app, hook, 'p2', T + 5_100)]);
  assert.deepEqual([p1, p2].filter((x) => x.go), [{ go: true, probe: true }]);
  assert.deepEqual([p1, p2].find((x) => !x.go), { go: false, retryAt: T + 5_600, why: 'circuit' });
  const probe = p1.go ? 'p1' : 'p2';
  // The probe fails: reopened for another cool-down.
  assert.equal(await a.leave(app, hook, probe, false, T + 6_000), undefined);
  assert.deepEqual(await b.enter(app, hook, 'j7', T + 6_100), { go: false, retryAt: T + 11_000, why: 'circuit' });
  // The next probe succeeds: closed, and deliveries flow again.
  assert.deepEqual(await b.enter(app, hook, 'p3', T + 11_000), { go: true, probe: true });
  assert.equal(await b.leave(app, hook, 'p3', true, T + 11_100), 'closed');
  assert.deepEqual(await a.enter(app, hook, 'j8', T + 11_200), { go: true, probe: false });
  assert.deepEqual(await b.enter(app, hook, 'j9', T + 11_200), { go: true, probe: false });
});
