import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadConfig, type HeraldConfig } from '@herald/config';
import { AppLimits, ChannelLog, JOB_STALE_MS, RedisKeys, createRedis, utcDay } from '@herald/bus';
import { PublishProducer, closeQueue, createPublishQueue, type PublishJob } from '@herald/queue';
import { PublishService } from '@herald/publishing';
import { AccessTokens, KeysRepository, PrismaService, type AppContext } from '@herald/db';
import { uniquePrefix, waitFor } from '@herald/testing';
import { GatewayMetrics, HeraldMetrics } from '@herald/observability';
import { PublishProcessor } from '../../apps/worker/src/publish/publish.processor.js';

// Fewer publish jobs than messages (a channel with a job under way asks for none; one job per app per
// event-loop turn), and the charge run inside the accept script: nothing lost, metering exact.
let config: HeraldConfig;
let redis: Redis;
let keys: RedisKeys;
let log: ChannelLog;
let queue: Queue<PublishJob>;
let publisher: PublishService;
let prisma: PrismaService;
let processor: PublishProcessor | undefined;

const basePlan = {
  id: 'demo',
  name: 'Demo',
  maxConnections: 10,
  maxMessagesPerDay: null as number | null,
  maxPublishesPerSecond: 100_000,
  maxPayloadBytes: 65536,
  historySize: 1000,
  historyTtlSeconds: 3600,
  maxChannelsPerConnection: 10,
  anyOrigin: true,
  maxScheduleDelaySeconds: 86400,
  archiveRetentionDays: 30,
  maxScheduledPending: 1000,
};

function tenant(appId: string, plan: Partial<typeof basePlan> = {}): AppContext {
  const app = { id: appId, accountId: 'acc_x', name: appId, status: 'active' as const, allowedOrigins: [], privatePrefixes: ['private-'], plan: { ...basePlan, ...plan }, historySize: 1000, historyTtlSeconds: 3600, historySizeOverride: null, historyTtlSecondsOverride: null, suspendedReason: null, suspendedAt: null, createdAt: new Date() };
  return { app, keyId: 'key_x', keyKind: 'secret' } as unknown as AppContext;
}

const head = (id: string) => `{"type":"message","channel":"c","id":"${id}","time":1,"content":"x"`;
const window = { historySize: 1000, historyTtlMs: 3_600_000 };

before(async () => {
  config = loadConfig({ ...process.env, HERALD_REDIS_PREFIX: uniquePrefix(), HERALD_LOG_LEVEL: 'silent' });
  redis = createRedis(config, 'command', 'test');
  keys = new RedisKeys(config.redisPrefix);
  log = new ChannelLog(redis, keys);
  queue = createPublishQueue(config, keys, 'test');
  prisma = new PrismaService(config);
  publisher = new PublishService(log, new PublishProducer(queue), config, new AccessTokens(new KeysRepository(prisma), config), new AppLimits(redis, keys));
});

after(async () => {
  await processor?.onApplicationShutdown();
  await queue.obliterate({ force: true });
  await closeQueue(queue);
  redis.disconnect();
  await prisma.$disconnect();
});

test('a channel with a job under way asks for no second one; that job moves every pending message, in order', async () => {
  const now = Date.now();
  const first = await log.accept('app_skip', 'c', 'm1', head('m1'), 60_000, now);
  const second = await log.accept('app_skip', 'c', 'm2', head('m2'), 60_000, now + 1);
  const third = await log.accept('app_skip', 'c', 'm3', head('m3'), 60_000, now + 2);
  assert.deepEqual([first.needsJob, second.needsJob, third.needsJob], [true, false, false]);
  const moved = await log.appendPending('app_skip', 'c', window);
  assert.deepEqual(moved, { appended: 3, moved: 3 });
  const page = await log.history('app_skip', 'c', { limit: 10, minTime: 0 });
  assert.deepEqual(page.frames.map((f) => JSON.parse(f).id), ['m1', 'm2', 'm3']);
  // Drained: the next accept needs a job of its own.
  assert.equal((await log.accept('app_skip', 'c', 'm4', head('m4'), 60_000, now + 3)).needsJob, true);
});

test('acceptMany: 250 messages over 3 channels in 3 script calls keep the order given; a repeated id answers the first acceptance', async () => {
  const now = Date.now();
  const channels = ['a', 'b', 'c'];
  const items = Array.from({ length: 250 }, (_, i) => ({ channel: channels[i % 3], messageId: `many-${i}`, frameHead: head(`many-${i}`) }));
  items.push({ channel: 'b', messageId: 'many-7', frameHead: head('many-7') }); // many-7 was accepted on 'b'
  items.push({ channel: 'c', messageId: 'many-0', frameHead: head('many-0') }); // many-0 was on 'a': a conflict the caller reports
  // Script calls counted on this test's own connection (other test files share the Redis server).
  const evalsha = redis.evalsha;
  let calls = 0;
  redis.evalsha = ((...a: Parameters<Redis['evalsha']>) => (calls++, evalsha.apply(redis, a))) as Redis['evalsha'];
  const out = await log.acceptMany('app_many', items, 60_000, now).finally(() => (redis.evalsha = evalsha));
  assert.equal(calls, 3);
  assert.equal(out.length, 252);
  const values = out.map((r) => (r.status === 'fulfilled' ? r.value : assert.fail(String(r.reason))));
  // Per channel, offsets 1, 2, 3, … in the order the items were given, across the chunk boundaries.
  for (const [k, ch] of channels.entries()) {
    const mine = values.slice(0, 250).filter((_, i) => i % 3 === k);
    assert.deepEqual(mine.map((v) => v.offset), mine.map((_, n) => n + 1), `channel ${ch}`);
    assert.ok(mine.every((v) => v.fresh && v.channel === ch));
    // The first message of a channel asks for its job; the rest are moved by it.
    assert.deepEqual(mine.map((v) => v.needsJob), mine.map((_, n) => n === 0));
  }
  assert.deepEqual([values[250].fresh, values[250].channel, values[250].offset, values[250].needsJob], [false, 'b', values[7].offset, true]);
  assert.deepEqual([values[251].fresh, values[251].channel, values[251].offset], [false, 'a', 1]);
  // One epoch per channel, stable; the job moves them all in order.
  assert.equal(new Set(values.filter((v) => v.channel === 'a').map((v) => v.epoch)).size, 1);
  assert.deepEqual(await log.appendPending('app_many', 'b', window), { appended: 83, moved: 83 });
  const page = await log.history('app_many', 'b', { limit: 100, minTime: 0 });
  assert.deepEqual(page.frames.map((f) => JSON.parse(f).id), items.slice(0, 250).filter((_, i) => i % 3 === 1).map((m) => m.messageId));
});

test('a channel still pending JOB_STALE_MS after its last job was asked for gets another (a lost or stuck job)', async () => {
  const now = Date.now();
  assert.equal((await log.accept('app_stale', 'c', 's1', head('s1'), 60_000, now)).needsJob, true);
  assert.equal((await log.accept('app_stale', 'c', 's2', head('s2'), 60_000, now + JOB_STALE_MS - 1)).needsJob, false);
  assert.equal((await log.accept('app_stale', 'c', 's3', head('s3'), 60_000, now + JOB_STALE_MS)).needsJob, true);
  // …and then not again for another period.
  assert.equal((await log.accept('app_stale', 'c', 's4', head('s4'), 60_000, now + JOB_STALE_MS + 1)).needsJob, false);
  // The sweep still sees the channel by its oldest pending message.
  assert.ok((await log.stalledChannels(0, now + 1)).some((s) => s.appId === 'app_stale'));
});

test('a duplicate always asks for a job (its first attempt may have died before enqueueing)', async () => {
  const now = Date.now();
  await log.accept('app_dup', 'c', 'd1', head('d1'), 60_000, now);
  const again = await log.accept('app_dup', 'c', 'd1', head('d1'), 60_000, now + 1);
  assert.deepEqual([again.fresh, again.needsJob, again.offset], [false, true, 1]);
});

test('charged in the accept script: rate refusals store nothing, and usage counts exactly the accepted publishes', async () => {
  const ctx = tenant('app_meter', { maxPublishesPerSecond: 5 });
  const now = Math.floor(Date.now() / 1000) * 1000 + 100; // one second for all of them
  const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => publisher.publish(ctx, { channel: 'm', message: i }, now)));
  const ok = outcomes.filter((o) => o.status === 'fulfilled');
  const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  assert.equal(ok.length, 5);
  assert.ok(refused.every((r) => (r.reason as { reason?: string }).reason === 'rate_limited'));
  assert.equal(await redis.hget(keys.channel('app_meter', 'm').meta, 's'), '5');
  assert.equal(await redis.hlen(keys.channel('app_meter', 'm').pending), 5);
  assert.equal(await redis.get(keys.dailyUsage('app_meter', utcDay(now))), '5');
  assert.equal(await redis.hget(keys.usageMinute('app_meter', Math.floor(now / 60_000)), 'p'), '5');
  assert.equal(await redis.hget(keys.liveSecond('app_meter', Math.floor(now / 1000)), 'p'), '5');
  assert.equal(await redis.get(keys.publishRate('app_meter', Math.floor(now / 1000))), '8'); // refusals count toward the rate
  // Once refused, the rest of that second is refused in process: same 429, no Redis round trip.
  for (let i = 0; i < 10; i++) {
    await assert.rejects(publisher.publish(ctx, { channel: 'm', message: 'again' }, now + 800), (e: { reason?: string; retryAfter?: number }) => e.reason === 'rate_limited');
  }
  assert.equal(await redis.get(keys.publishRate('app_meter', Math.floor(now / 1000))), '8', 'the flood did not reach Redis');
  // The next second is Redis's to judge again.
  const next = await publisher.publish(ctx, { channel: 'm', message: 'next second' }, now + 1000);
  assert.equal(next.offset, 6);
  // Daily quota: refused before anything is stored or billed.
  const capped = tenant('app_quota', { maxMessagesPerDay: 2 });
  await publisher.publish(capped, { channel: 'q', message: 1 }, now);
  await publisher.publish(capped, { channel: 'q', message: 2 }, now);
  await assert.rejects(publisher.publish(capped, { channel: 'q', message: 3 }, now), (e: { reason?: string }) => e.reason === 'quota_exceeded');
  assert.equal(await redis.get(keys.dailyUsage('app_quota', utcDay(now))), '2');
  assert.equal(await redis.hget(keys.channel('app_quota', 'q').meta, 's'), '2');
  // A batch is charged once for all its items, then accepted without charging again.
  const batch = tenant('app_batch');
  const res = await publisher.publishBatch(batch, Array.from({ length: 7 }, (_, i) => ({ channel: `b${i % 3}`, message: i })), now);
  assert.ok(res.every((r) => r.ok));
  assert.equal(await redis.get(keys.dailyUsage('app_batch', utcDay(now))), '7');
});

test('concurrent publishes on few channels: fewer jobs than messages, every message appended once and in order', async () => {
  processor = new PublishProcessor(config, log, keys, new GatewayMetrics(new HeraldMetrics('worker')));
  processor.onApplicationBootstrap();
  const ctx = tenant('app_burst');
  const channels = ['a', 'b', 'c', 'd'];
  const results = await Promise.all(Array.from({ length: 400 }, (_, i) => publisher.publish(ctx, { channel: channels[i % 4], message: i })));
  for (const ch of channels) {
    await waitFor(async () => (await log.history('app_burst', ch, { limit: 1000, minTime: 0 })).top === 100, { what: `${ch} appended` });
    const page = await log.history('app_burst', ch, { limit: 1000, minTime: 0 });
    const mine = results.filter((r) => r.channel === ch).sort((x, y) => x.offset - y.offset).map((r) => r.id);
    assert.deepEqual(page.frames.map((f) => JSON.parse(f).id), mine);
    assert.deepEqual(page.frames.map((f) => JSON.parse(f).offset), Array.from({ length: 100 }, (_, i) => i + 1));
  }
  const counts = await queue.getJobCounts('completed', 'waiting', 'active', 'delayed', 'failed');
  const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
  assert.ok(jobs < 400, `expected fewer jobs than messages, got ${jobs}`);
  assert.equal((await log.stalledChannels(0)).some((s) => s.appId === 'app_burst'), false);
});

test('connection leases are renewed in one ZADD per app and 500 connections, each lease extended', async () => {
  const limits = new AppLimits(redis, keys);
  const caps = { maxConnections: 10_000, maxPublishesPerSecond: 1, maxMessagesPerDay: null };
  const now = Date.now();
  const entries = Array.from({ length: 1200 }, (_, i) => ({ appId: i % 3 === 0 ? 'app_lease_b' : 'app_lease_a', connId: `c${i}` }));
  for (const e of entries.slice(0, 1199)) await limits.admitConnectionNow(e.appId, e.connId, caps, 1000, now);
  await limits.renewConnections(entries, 60_000, now);
  const a = await redis.zrange(keys.connections('app_lease_a'), '0', '-1', 'WITHSCORES');
  const b = await redis.zrange(keys.connections('app_lease_b'), '0', '-1', 'WITHSCORES');
  assert.equal(a.length / 2 + b.length / 2, 1199); // XX: the one never admitted is not added
  for (let i = 1; i < a.length; i += 2) assert.equal(Number(a[i]), now + 60_000);
  for (let i = 1; i < b.length; i += 2) assert.equal(Number(b[i]), now + 60_000);
  assert.ok((await redis.pttl(keys.connections('app_lease_a'))) > 50_000);
});
