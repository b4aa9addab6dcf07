import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type HeraldConfig } from '@herald/config';
import { AppLimits, RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { HeraldError } from '@herald/protocol';
import { dropRedisPrefix, uniquePrefix } from '@herald/testing';
import { generateKey, keyDigest } from '@herald/auth';
import { KeyResolver, type KeysRepository } from '@herald/db';

// Connection admission batched per event-loop turn (AppLimits.admitConnection → one ADMIT_MANY per app):
// the plan's cap still holds exactly across gateways admitting at the same time.
let config: HeraldConfig;
let redisA: RedisClient;
let redisB: RedisClient;
let keys: RedisKeys;

before(() => {
  config = loadConfig({ ...process.env, HERALD_REDIS_PREFIX: uniquePrefix(), HERALD_LOG_LEVEL: 'silent' });
  redisA = createRedis(config, 'command', 'test-a');
  redisB = createRedis(config, 'command', 'test-b');
  keys = RedisKeys.of(config);
});

after(async () => {
  redisA.disconnect();
  redisB.disconnect();
  await dropRedisPrefix(config, config.redisPrefix);
});

const caps = (maxConnections: number) => ({ maxConnections, maxPublishesPerSecond: 100, maxMessagesPerDay: null });

test('two gateways admitting storms at once: exactly the cap is admitted, the rest refused with 4429', async () => {
  const gwA = new AppLimits(redisA, keys);
  const gwB = new AppLimits(redisB, keys);
  const cap = caps(500);
  // Each gateway asks for 400 slots over several turns (interleaved with the other's), 800 for a cap of 500.
  const ask = async (limits: AppLimits, tag: string) => {
    const out: Array<Promise<string>> = [];
    for (let turn = 0; turn < 4; turn++) {
      for (let i = 0; i < 100; i++) {
        out.push(
          limits.admitConnection('app_cap', `${tag}-${turn}-${i}`, cap, 30_000).then(
            () => 'ok',
            (e: unknown) => (e instanceof HeraldError ? e.reason : String(e)),
          ),
        );
      }
      await new Promise((r) => setImmediate(r));
    }
    return Promise.all(out);
  };
  const [a, b] = await Promise.all([ask(gwA, 'a'), ask(gwB, 'b')]);
  const all = [...a, ...b];
  assert.equal(all.filter((r) => r === 'ok').length, 500);
  assert.equal(all.filter((r) => r === 'too_many_connections').length, 300);
  assert.equal(await redisA.zcard(keys.connections('app_cap')), 500);
  // The minute's peak is the cap.
  const minute = Math.floor(Date.now() / 60_000);
  assert.equal(Number(await redisA.hget(keys.usageMinute('app_cap', minute), 'c')), 500);
});

test('a batch mixing apps, a renewed lease and a released slot', async () => {
  const limits = new AppLimits(redisA, keys);
  const cap = caps(3);
  await Promise.all(['x1', 'x2', 'x3'].map((id) => limits.admitConnection('app_mix', id, cap, 30_000)));
  // At the cap: a slot already held is renewed (admitted), a new one refused, another app unaffected.
  const results = await Promise.allSettled([
    limits.admitConnection('app_mix', 'x2', cap, 30_000),
    limits.admitConnection('app_mix', 'x4', cap, 30_000),
    limits.admitConnection('app_other', 'y1', cap, 30_000),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.equal(((results[1] as PromiseRejectedResult).reason as HeraldError).reason, 'too_many_connections');
  await limits.releaseConnection('app_mix', 'x1');
  await limits.admitConnection('app_mix', 'x4', cap, 30_000);
  assert.deepEqual((await redisA.zrange(keys.connections('app_mix'), '0', '-1')).sort(), ['x2', 'x3', 'x4']);
  // Expired leases are swept before counting.
  await redisA.zadd(keys.connections('app_mix'), Date.now() - 1, 'x3');
  await limits.admitConnection('app_mix', 'x5', cap, 30_000);
  assert.deepEqual((await redisA.zrange(keys.connections('app_mix'), '0', '-1')).sort(), ['x2', 'x4', 'x5']);
});

test('a Redis error rejects every admission of the batch', async () => {
  const broken = createRedis(config, 'command', 'test-broken');
  // Closed once connected: a cluster client closed while still connecting is left "disconnecting" by
  // ioredis and queues every command forever (the whole file then timed out on a cluster).
  await new Promise((resolve) => broken.once('ready', resolve));
  broken.disconnect();
  const limits = new AppLimits(broken, keys);
  const results = await Promise.allSettled([1, 2, 3].map((i) => limits.admitConnection('app_err', `e${i}`, caps(10), 30_000)));
  assert.ok(results.every((r) => r.status === 'rejected'));
});

test('a storm presenting one uncached key makes one database lookup; a revocation still shows after the cache period', async () => {
  const key = generateKey('common');
  let lookups = 0;
  let status = 'active';
  const repo = {
    async findByDigest(digest: string) {
      lookups++;
      await new Promise((r) => setTimeout(r, 20));
      if (digest !== keyDigest(key)) return undefined;
      return {
        key: { id: 'key_1', appId: 'app_k', kind: 'common', status, retiresAt: null },
        app: { id: 'app_k', status: 'active', plan: {} },
      };
    },
  } as unknown as KeysRepository;
  const resolver = new KeyResolver(repo, { ...config, keyCacheMs: 200 });
  const ctxs = await Promise.all(Array.from({ length: 500 }, () => resolver.resolve(key)));
  assert.equal(lookups, 1);
  assert.ok(ctxs.every((c) => c.app.id === 'app_k'));
  // Unknown keys share their lookup too, and fail each request.
  const bad = generateKey('common');
  const failures = await Promise.allSettled(Array.from({ length: 50 }, () => resolver.resolve(bad)));
  assert.equal(lookups, 2);
  assert.ok(failures.every((r) => r.status === 'rejected' && (r.reason as HeraldError).reason === 'invalid_key'));
  status = 'revoked';
  await new Promise((r) => setTimeout(r, 250));
  const after = await Promise.allSettled(Array.from({ length: 50 }, () => resolver.resolve(key)));
  assert.equal(lookups, 3);
  assert.ok(after.every((r) => r.status === 'rejected' && (r.reason as HeraldError).reason === 'key_revoked'));
});
