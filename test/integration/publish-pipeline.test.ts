import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { loadConfig, type HeraldConfig } from '@herald/config';
import { AppLimits, ChannelLog, RedisKeys, createRedis } from '@herald/bus';
import { PublishProducer, closeQueue, createPublishQueue, publishJobId, type PublishJob } from '@herald/queue';
import { PublishService } from '@herald/publishing';
import { AccessTokens, KeysRepository, PrismaService, type AppContext } from '@herald/db';
import { uniquePrefix, waitFor } from '@herald/testing';
import { GatewayMetrics, HeraldMetrics } from '@herald/observability';
import { PublishProcessor } from '../../apps/worker/src/publish/publish.processor.js';

// The publish pipeline on the real Redis and BullMQ: accept → job → worker append → fan-out.
let config: HeraldConfig;
let redis: Redis;
let sub: Redis;
let keys: RedisKeys;
let log: ChannelLog;
let queue: Queue<PublishJob>;
let publisher: PublishService;
let processor: PublishProcessor;
let prisma: PrismaService;
const delivered = new Map<string, string[]>();

const plan = {
  id: 'demo',
  name: 'Demo',
  maxConnections: 10,
  maxMessagesPerDay: null,
  maxPublishesPerSecond: 100,
  maxPayloadBytes: 65536,
  historySize: 1000,
  historyTtlSeconds: 3600,
  maxChannelsPerConnection: 10,
  anyOrigin: true,
  maxScheduleDelaySeconds: 86400,
  archiveRetentionDays: 30,
  maxScheduledPending: 1000,
};

function tenant(appId: string, keyKind: AppContext['keyKind'] = 'secret'): AppContext {
  const app = { id: appId, accountId: 'acc_x', name: appId, region: 'eu-west', status: 'active' as const, allowedOrigins: [], privatePrefixes: ['private-'], plan, historySize: 1000, historyTtlSeconds: 3600, historySizeOverride: null, historyTtlSecondsOverride: null, suspendedReason: null, suspendedAt: null, createdAt: new Date() };
  return { app, keyId: 'key_x', keyKind };
}

before(async () => {
  config = loadConfig({ ...process.env, HERALD_REDIS_PREFIX: uniquePrefix(), HERALD_LOG_LEVEL: 'silent' });
  redis = createRedis(config, 'command', 'test');
  sub = createRedis(config, 'subscriber', 'test-sub');
  keys = new RedisKeys(config.redisPrefix);
  log = new ChannelLog(redis, keys);
  queue = createPublishQueue(config, keys, 'test');
  prisma = new PrismaService(config);
  publisher = new PublishService(log, new PublishProducer(queue), config, new AccessTokens(new KeysRepository(prisma), config), new AppLimits(redis, keys));
  processor = new PublishProcessor(config, log, keys, new GatewayMetrics(new HeraldMetrics('worker')));
  processor.onApplicationBootstrap();
  await sub.psubscribe(`${keys.fanoutPrefix}*`);
  sub.on('pmessage', (_p: string, ch: string, frame: string) => {
    const list = delivered.get(ch) ?? [];
    list.push(frame);
    delivered.set(ch, list);
  });
});

after(async () => {
  await processor.onApplicationShutdown();
  await queue.obliterate({ force: true });
  await closeQueue(queue);
  sub.disconnect();
  redis.disconnect();
  await prisma.$disconnect();
});

test('offsets follow acceptance order and history holds every message once', async () => {
  const ctx = tenant('app_order');
  const offsets: number[] = [];
  for (let i = 0; i < 50; i++) offsets.push((await publisher.publish(ctx, { channel: 'c', message: { i } })).offset);
  assert.deepEqual(offsets, Array.from({ length: 50 }, (_, i) => i + 1));
  await waitFor(async () => (await log.history('app_order', 'c', { limit: 100, minTime: 0 })).top === 50, { what: 'appended' });
  const page = await log.history('app_order', 'c', { limit: 100, minTime: 0 });
  assert.deepEqual(page.frames.map((f) => JSON.parse(f).content.i), Array.from({ length: 50 }, (_, i) => i));
});

test('the same id three times: one history entry, one delivery — and again after the job is gone', async () => {
  const ctx = tenant('app_idem');
  const fan = keys.channel('app_idem', 'c').fanout;
  const first = await publisher.publish(ctx, { channel: 'c', message: 'hello', id: 'order-1' });
  const second = await publisher.publish(ctx, { channel: 'c', message: 'hello', id: 'order-1' });
  const third = await publisher.publish(ctx, { channel: 'c', message: 'hello', id: 'order-1' });
  assert.equal(first.duplicate, false);
  assert.ok(second.duplicate && third.duplicate);
  assert.equal(second.offset, first.offset);
  assert.equal(third.epoch, first.epoch);
  await waitFor(() => (delivered.get(fan)?.length ?? 0) >= 1, { what: 'delivery' });

  // BullMQ forgets the job (removed after completion); the idempotency window still holds.
  const jobId = publishJobId('app_idem', 'order-1');
  await waitFor(async () => (await queue.getJobState(jobId)) === 'completed', { what: 'job completed' });
  await queue.remove(jobId);
  assert.equal(await queue.getJob(jobId), undefined);
  const fourth = await publisher.publish(ctx, { channel: 'c', message: 'hello', id: 'order-1' });
  assert.ok(fourth.duplicate);
  assert.equal(fourth.offset, first.offset);

  // A later message proves the pipeline ran after the duplicates: still exactly one copy of order-1.
  await publisher.publish(ctx, { channel: 'c', message: 'after', id: 'order-2' });
  await waitFor(() => (delivered.get(fan)?.length ?? 0) >= 2, { what: 'second delivery' });
  const ids = delivered.get(fan)!.map((f) => JSON.parse(f).id);
  assert.deepEqual(ids, ['order-1', 'order-2']);
  const page = await log.history('app_idem', 'c', { limit: 10, minTime: 0 });
  assert.deepEqual(page.frames.map((f) => JSON.parse(f).id), ['order-1', 'order-2']);
});

test('appending twice (a retried or duplicated job) moves nothing the second time', async () => {
  const ctx = tenant('app_twice');
  await publisher.publish(ctx, { channel: 'c', message: 1 });
  const window = { historySize: 1000, historyTtlMs: 3_600_000 };
  await log.appendPending('app_twice', 'c', window);
  const again = await log.appendPending('app_twice', 'c', window);
  assert.equal(again.moved, 0);
  assert.equal(again.appended, 1);
});

test('tenants are isolated: the same channel name in two apps has two histories', async () => {
  await publisher.publish(tenant('app_a'), { channel: 'shared', message: 'for A' });
  await publisher.publish(tenant('app_b'), { channel: 'shared', message: 'for B' });
  await waitFor(async () => (await log.history('app_b', 'shared', { limit: 5, minTime: 0 })).frames.length === 1, { what: 'B appended' });
  await waitFor(async () => (await log.history('app_a', 'shared', { limit: 5, minTime: 0 })).frames.length === 1, { what: 'A appended' });
  const a = await log.history('app_a', 'shared', { limit: 5, minTime: 0 });
  assert.deepEqual(a.frames.map((f) => JSON.parse(f).content), ['for A']);
});

test('bad input is refused with stable reasons and stores nothing', async () => {
  const ctx = tenant('app_bad');
  const reason = async (p: Promise<unknown>) => p.then(() => 'ok', (e: { reason?: string }) => e.reason);
  assert.equal(await reason(publisher.publish(tenant('app_bad', 'subscribe'), { channel: 'c', message: 1 })), 'publish_forbidden');
  assert.equal(await reason(publisher.publish(ctx, { channel: 'bad channel', message: 1 })), 'invalid_channel');
  assert.equal(await reason(publisher.publish(ctx, { channel: 'c', message: 'x'.repeat(70_000) })), 'payload_too_large');
  assert.equal(await reason(publisher.publish(ctx, { channel: 'c', message: 1, id: 'has:colon' })), 'invalid_message_id');
  assert.equal(await reason(publisher.publish(ctx, { channel: 'c', message: undefined })), 'invalid_message');
  assert.equal(await reason(publisher.publish(tenant('app_bad', 'common'), { channel: 'private-x', message: 1 })), 'token_required');
  assert.equal(await redis.exists(keys.channel('app_bad', 'c').meta), 0);
});

test('a message accepted without a job is appended by the pending sweep', async () => {
  // The accept step alone, as if the process died before enqueueing.
  const head = '{"type":"message","channel":"c","id":"orphan","time":1,"content":"x"';
  await log.accept('app_orphan', 'c', 'orphan', head, 60_000, Date.now() - 10_000);
  const stalled = await log.stalledChannels(5_000);
  assert.ok(stalled.some((s) => s.appId === 'app_orphan' && s.channel === 'c'));
  await log.appendPending('app_orphan', 'c', { historySize: 10, historyTtlMs: 60_000 });
  assert.equal((await log.stalledChannels(0)).some((s) => s.appId === 'app_orphan'), false);
});

test('a message id reused on another channel of the app is refused, not silently dropped', async () => {
  const ctx = tenant('app_reuse');
  const first = await publisher.publish(ctx, { channel: 'one:with:colons', message: 1, id: 'same' });
  const again = await publisher.publish(ctx, { channel: 'one:with:colons', message: 1, id: 'same' });
  assert.deepEqual([again.duplicate, again.offset, again.channel], [true, first.offset, 'one:with:colons']);
  await assert.rejects(publisher.publish(ctx, { channel: 'two', message: 1, id: 'same' }), (e: { reason?: string }) => e.reason === 'message_id_conflict');
});

test('pending messages of a deleted app are forgotten by the sweep, not re-read forever', async () => {
  const head = '{"type":"message","channel":"c","id":"gone","time":1,"content":"x"';
  await log.accept('app_deleted', 'c', 'gone', head, 60_000, Date.now() - 10_000);
  await log.forgetPending('app_deleted', 'c');
  assert.equal((await log.stalledChannels(0)).some((s) => s.appId === 'app_deleted'), false);
  assert.equal(await redis.exists(keys.channel('app_deleted', 'c').pending), 0);
});
