import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { loadConfig, type HeraldConfig } from '@herald/config';
import { AppLimits, ChannelLog, RedisKeys, createRedis, utcDay, type RedisClient } from '@herald/bus';
import { PublishService } from '@herald/publishing';
import { AccessTokens, KeysRepository, PrismaService, type AppContext } from '@herald/db';
import { TestRedis, testAppContext, uniquePrefix } from '@herald/testing';

// The charge of a publish on one Redis: inside its ACCEPT script, so a single publish (or a batch of one
// channel) is one script call, a refused charge stores nothing and the usage counters are the accepted
// publishes. On a Redis of this file's own (whatever Redis the run uses), so that INFO commandstats counts
// its commands only. The cluster path (charge, accept, refund: separate steps) runs beside it on the same
// Redis with slot-tagged keys, and must count the same.
let server: TestRedis;
let config: HeraldConfig;
let redis: RedisClient;
let admin: Redis;
let prisma: PrismaService;
let keys: RedisKeys;
const now = Date.now(); // one second and minute for every publish here: no clock in the counts

function tenant(appId: string, plan: NonNullable<Parameters<typeof testAppContext>[1]>['plan'] = {}): AppContext {
  return testAppContext(appId, { plan });
}

/**
 * The publish path on one Redis (cluster false) or as on a cluster (slot-tagged keys), each with its own
 * RefusedApps. Both name a channel's keys alike: each path's tests use apps of their own.
 */
function parts(cluster: boolean) {
  const k = new RedisKeys(config.redisPrefix, cluster);
  const log = new ChannelLog(redis, k);
  const limits = new AppLimits(redis, k);
  return { keys: k, log, limits, publisher: new PublishService(log, config, new AccessTokens(new KeysRepository(prisma), config), limits) };
}

before(async () => {
  server = await TestRedis.start();
  config = loadConfig({ ...process.env, REDIS_URL: server.url, REDIS_CLUSTER_NODES: '', HERALD_REDIS_PREFIX: uniquePrefix(), HERALD_LOG_LEVEL: 'silent' });
  redis = createRedis(config, 'command', 'test');
  admin = server.client();
  prisma = new PrismaService(config);
  keys = RedisKeys.of(config);
});

after(async () => {
  redis?.disconnect();
  admin?.disconnect();
  await prisma?.$disconnect();
  await server?.stop();
});

/** Calls per command since `CONFIG RESETSTAT` (commands a script runs are counted too, under their own names). */
async function commandCalls(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await admin.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/** What one app's publishes left in Redis: stored frames, the channel's last offset, and its usage counters. */
async function state(on: ReturnType<typeof parts>, appId: string, channel: string) {
  const k = on.keys;
  const [history, meta, day, minute, live, rate] = await Promise.all([
    redis.xlen(k.channel(appId, channel).history),
    redis.hget(k.channel(appId, channel).meta, 's'),
    redis.get(k.dailyUsage(appId, utcDay(now))),
    redis.hget(k.usageMinute(appId, Math.floor(now / 60_000)), 'p'),
    redis.hget(k.liveSecond(appId, Math.floor(now / 1000)), 'p'),
    redis.get(k.publishRate(appId, Math.floor(now / 1000))),
  ]);
  return { stored: history, lastOffset: Number(meta ?? 0), billed: { day: Number(day ?? 0), minute: Number(minute ?? 0), live: Number(live ?? 0) }, rate: Number(rate ?? 0) };
}

const billed = (n: number) => ({ day: n, minute: n, live: n });

test('on one Redis a single publish, or a batch of one channel, is one script call: charge and accept together, no refund', async () => {
  for (const cluster of [false, true]) {
    const on = parts(cluster);
    const ctx = tenant(`app_calls_${cluster}`);
    await on.publisher.publish(ctx, { channel: 'c', message: 0 }, now); // loads the scripts, indexes the minute
    await admin.config('RESETSTAT');
    for (let i = 1; i <= 5; i++) await on.publisher.publish(ctx, { channel: 'c', message: i }, now);
    await on.publisher.publishBatch(ctx, [1, 2, 3].map((i) => ({ channel: 'c', message: i })), now);
    const calls = await commandCalls();
    // One EVALSHA per publish and per batch on one Redis; CHARGE then ACCEPT (two) on a cluster.
    assert.equal(calls.evalsha, cluster ? 12 : 6, `script calls (${cluster ? 'cluster' : 'one Redis'})`);
    assert.equal(calls.eval, undefined, 'every script was loaded already');
    assert.equal(calls.exec, undefined, 'no refund transaction');
    assert.deepEqual(await state(on, ctx.app.id, 'c'), { stored: 9, lastOffset: 9, billed: billed(9), rate: 9 });
  }
});

test('a quota exactly reached accepts the last publish and refuses the next, which stores nothing and consumes no offset; a batch is refused whole', async () => {
  const outcomes = [];
  for (const cluster of [false, true]) {
    const on = parts(cluster);
    const ctx = tenant(`app_quota_${cluster}`, { maxMessagesPerDay: 3 });
    for (let i = 1; i <= 3; i++) assert.equal((await on.publisher.publish(ctx, { channel: 'c', message: i, id: `q-${i}` }, now)).offset, i);
    await assert.rejects(on.publisher.publish(ctx, { channel: 'c', message: 4, id: 'q-4' }, now), { reason: 'quota_exceeded', code: 429 });
    assert.equal(await redis.exists(on.keys.idempotency(ctx.app.id, 'c', 'q-4')), 0, 'the refused id is not taken');
    assert.deepEqual(await state(on, ctx.app.id, 'c'), { stored: 3, lastOffset: 3, billed: billed(3), rate: 4 }, 'the rate counts the refused publish, nothing else does');
    // A new process (no refusal remembered): the batch reaches Redis and is refused whole.
    await assert.rejects(parts(cluster).publisher.publishBatch(ctx, [{ channel: 'c', message: 5 }, { channel: 'c', message: 6 }], now), { reason: 'quota_exceeded' });
    outcomes.push(await state(on, ctx.app.id, 'c'));
  }
  assert.deepEqual(outcomes[0], { stored: 3, lastOffset: 3, billed: billed(3), rate: 6 });
  assert.deepEqual(outcomes[1], outcomes[0], 'the cluster path counts the same');
});

test('a rate refusal stores nothing and is remembered in process: the next publish of that second costs Redis nothing', async () => {
  const on = parts(false);
  const ctx = tenant('app_rate', { maxPublishesPerSecond: 2 });
  await on.publisher.publish(ctx, { channel: 'c', message: 1 }, now);
  await on.publisher.publish(ctx, { channel: 'c', message: 2 }, now);
  await assert.rejects(on.publisher.publish(ctx, { channel: 'c', message: 3 }, now), { reason: 'rate_limited', retryAfter: 1 });
  assert.deepEqual(await state(on, 'app_rate', 'c'), { stored: 2, lastOffset: 2, billed: billed(2), rate: 3 });
  await admin.config('RESETSTAT');
  await assert.rejects(on.publisher.publish(ctx, { channel: 'c', message: 4 }, now), { reason: 'rate_limited' });
  assert.equal((await commandCalls()).evalsha, undefined, 'refused from memory (RefusedApps)');
  assert.deepEqual(await state(on, 'app_rate', 'c'), { stored: 2, lastOffset: 2, billed: billed(2), rate: 3 });
});

test('a repeated id is charged as before the fold, by both paths: billed once per publish call, stored once', async () => {
  for (const cluster of [false, true]) {
    const on = parts(cluster);
    const ctx = tenant(`app_dup_${cluster}`);
    const first = await on.publisher.publish(ctx, { channel: 'c', message: 'x', id: 'dup-1' }, now);
    const again = await on.publisher.publish(ctx, { channel: 'c', message: 'x', id: 'dup-1' }, now);
    assert.deepEqual([first.duplicate, again.duplicate, again.offset], [false, true, first.offset]);
    assert.deepEqual(await state(on, ctx.app.id, 'c'), { stored: 1, lastOffset: 1, billed: billed(2), rate: 2 }, cluster ? 'cluster' : 'one Redis');
  }
});

test('a batch over several channels on one Redis is charged first, then accepted per channel (a charge spans one script call only)', async () => {
  const on = parts(false);
  const ctx = tenant('app_spread');
  await on.publisher.publishBatch(ctx, [{ channel: 'a', message: 0 }, { channel: 'b', message: 0 }], now);
  await admin.config('RESETSTAT');
  const results = await on.publisher.publishBatch(ctx, [{ channel: 'a', message: 1 }, { channel: 'b', message: 1 }, { channel: 'a', message: 2 }], now);
  assert.deepEqual(results.map((r) => r.ok && r.result.offset), [2, 2, 3]);
  assert.equal((await commandCalls()).evalsha, 3, 'CHARGE, then one ACCEPT per channel');
  const [a, b] = [await state(on, 'app_spread', 'a'), await state(on, 'app_spread', 'b')];
  assert.deepEqual([a.stored, b.stored, a.billed], [3, 2, billed(5)]);
});
