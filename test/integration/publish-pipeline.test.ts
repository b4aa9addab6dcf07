import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { loadConfig, type HeraldConfig } from '@herald/config';
import { AppLimits, ChannelLog, RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { PublishService } from '@herald/publishing';
import { AccessTokens, KeysRepository, PrismaService, type AppContext } from '@herald/db';
import { FanoutListener, dropRedisPrefix, onCluster, testAppContext, uniquePrefix, waitFor } from '@herald/testing';

// The publish path on the real Redis: the app's charge, then one accept script per channel that stores,
// numbers and fans out, then the archive feed (the channel's shard). On one Redis the accept script charges
// and feeds itself (publish-charge.test.ts counts its calls).
let config: HeraldConfig;
let redis: RedisClient;
let fanouts: FanoutListener;
let keys: RedisKeys;
let log: ChannelLog;
let publisher: PublishService;
let limits: AppLimits;
let prisma: PrismaService;

function tenant(appId: string, keyKind: AppContext['keyKind'] = 'secret'): AppContext {
  return testAppContext(appId, { keyKind });
}

before(async () => {
  config = loadConfig({ ...process.env, HERALD_REDIS_PREFIX: uniquePrefix(), HERALD_LOG_LEVEL: 'silent' });
  redis = createRedis(config, 'command', 'test');
  fanouts = new FanoutListener();
  keys = RedisKeys.of(config);
  log = new ChannelLog(redis, keys);
  prisma = new PrismaService(config);
  limits = new AppLimits(redis, keys);
  publisher = new PublishService(log, config, new AccessTokens(new KeysRepository(prisma), config), limits);
});

after(async () => {
  fanouts.close();
  redis.disconnect();
  await prisma.$disconnect();
  await dropRedisPrefix(config, config.redisPrefix);
});

const window = { historySize: 1000, historyTtlMs: 3_600_000 };
const offsetsOf = (frames: string[]) => frames.map((f) => (JSON.parse(f) as { offset: number }).offset);
/** The archive stream's entries for one app's channel, oldest first. */
async function archived(appId: string, channel: string, on = keys): Promise<Array<{ offset: number; id: string }>> {
  const entries = (await redis.xrange(on.archive(appId, channel), '-', '+')) as Array<[string, string[]]>;
  return entries
    .filter(([, f]) => f[1] === `${appId}|${channel}`)
    .map(([, f]) => JSON.parse(f[3]) as { offset: number; id: string })
    .map(({ offset, id }) => ({ offset, id }));
}

test('a publish is in the history, on the fan-out and in the archive feed when it is answered', async () => {
  const ctx = tenant('app_order');
  const fan = keys.channel('app_order', 'c').fanout;
  await fanouts.listen(fan);
  const offsets: number[] = [];
  for (let i = 0; i < 50; i++) offsets.push((await publisher.publish(ctx, { channel: 'c', message: { i } })).offset);
  assert.deepEqual(offsets, Array.from({ length: 50 }, (_, i) => i + 1));
  // No worker in this test: nothing runs between accept and these reads.
  const page = await log.history('app_order', 'c', { limit: 100, minTime: 0 });
  assert.equal(page.top, 50);
  assert.deepEqual(page.frames.map((f) => JSON.parse(f).content.i), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual((await archived('app_order', 'c')).map((a) => a.offset), offsets);
  await waitFor(() => fanouts.frames(fan).length === 50, { what: 'fan-out' });
  assert.deepEqual(offsetsOf(fanouts.frames(fan)), offsets);
});

test('concurrent publishes on one channel are published in offset order, each once', async () => {
  const ctx = tenant('app_race');
  const fan = keys.channel('app_race', 'c').fanout;
  await fanouts.listen(fan);
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => publisher.publish(ctx, { channel: 'c', message: i })));
  assert.deepEqual(results.map((r) => r.offset).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
  await waitFor(() => fanouts.frames(fan).length === 200, { what: 'fan-out' });
  assert.deepEqual(offsetsOf(fanouts.frames(fan)), Array.from({ length: 200 }, (_, i) => i + 1));
});

test('a batch across script chunks keeps its order per channel and interleaves channels as given', async () => {
  const ctx = tenant('app_batch');
  const items = Array.from({ length: 250 }, (_, i) => ({ channel: i % 3 === 0 ? 'a' : 'b', message: i }));
  const results = await publisher.publishBatch(ctx, items);
  const offsets = (ch: string) => results.flatMap((r, i) => (r.ok && items[i].channel === ch ? [r.result.offset] : []));
  assert.deepEqual(offsets('a'), Array.from({ length: 84 }, (_, i) => i + 1));
  assert.deepEqual(offsets('b'), Array.from({ length: 166 }, (_, i) => i + 1));
  assert.deepEqual(offsetsOf((await log.history('app_batch', 'b', { limit: 1000, minTime: 0 })).frames), offsets('b'));
});

test('the same id three times: one history entry, one delivery, one archive entry', async () => {
  const ctx = tenant('app_idem');
  const fan = keys.channel('app_idem', 'c').fanout;
  await fanouts.listen(fan);
  const first = await publisher.publish(ctx, { channel: 'c', message: 'hello', id: 'order-1' });
  const second = await publisher.publish(ctx, { channel: 'c', message: 'hello', id: 'order-1' });
  const third = await publisher.publish(ctx, { channel: 'c', message: 'hello', id: 'order-1' });
  assert.equal(first.duplicate, false);
  assert.ok(second.duplicate && third.duplicate);
  assert.deepEqual([second.offset, third.epoch], [first.offset, first.epoch]);
  await publisher.publish(ctx, { channel: 'c', message: 'after', id: 'order-2' });
  await waitFor(() => fanouts.frames(fan).length >= 2, { what: 'second delivery' });
  assert.deepEqual(fanouts.frames(fan).map((f) => JSON.parse(f).id), ['order-1', 'order-2']);
  assert.deepEqual((await log.history('app_idem', 'c', { limit: 10, minTime: 0 })).frames.map((f) => JSON.parse(f).id), ['order-1', 'order-2']);
  assert.deepEqual((await archived('app_idem', 'c')).map((a) => a.id), ['order-1', 'order-2']);
});

test('the history stream keeps the window: trimmed to the size, expiring with the TTL', async () => {
  const ctx = tenant('app_window');
  ctx.app.historySize = 5;
  ctx.app.historyTtlSeconds = 60;
  for (let i = 0; i < 12; i++) await publisher.publish(ctx, { channel: 'c', message: i });
  const k = keys.channel('app_window', 'c');
  assert.equal(await redis.xlen(k.history), 5);
  const ttl = await redis.pttl(k.history);
  assert.ok(ttl > 55_000 && ttl <= 60_000, `history TTL ${ttl}`);
  assert.deepEqual(offsetsOf((await log.history('app_window', 'c', { limit: 100, minTime: 0 })).frames), [8, 9, 10, 11, 12]);
});

test('a lost channel meta starts a new epoch: offsets restart, the old history is dropped, not mixed in', async () => {
  const ctx = tenant('app_epoch');
  const before = await publisher.publish(ctx, { channel: 'c', message: 'old' });
  await publisher.publish(ctx, { channel: 'c', message: 'old 2' });
  await redis.del(keys.channel('app_epoch', 'c').meta);
  const after = await publisher.publish(ctx, { channel: 'c', message: 'new' });
  assert.notEqual(after.epoch, before.epoch);
  assert.equal(after.offset, 1);
  const page = await log.history('app_epoch', 'c', { limit: 10, minTime: 0 });
  assert.deepEqual([page.epoch, page.top, page.frames.map((f) => JSON.parse(f).content)], [after.epoch, 1, ['new']]);
  const resumed = await log.recover('app_epoch', 'c', { offset: 2, epoch: before.epoch }, window);
  assert.equal(resumed.recovered, false);
});

test('tenants are isolated: the same channel name in two apps has two histories', async () => {
  await publisher.publish(tenant('app_a'), { channel: 'shared', message: 'for A' });
  await publisher.publish(tenant('app_b'), { channel: 'shared', message: 'for B' });
  const a = await log.history('app_a', 'shared', { limit: 5, minTime: 0 });
  const b = await log.history('app_b', 'shared', { limit: 5, minTime: 0 });
  assert.deepEqual([a.frames.map((f) => JSON.parse(f).content), b.frames.map((f) => JSON.parse(f).content)], [['for A'], ['for B']]);
});

test('bad input is refused with stable reasons and stores nothing', async () => {
  const ctx = tenant('app_bad');
  const reason = async (p: Promise<unknown>) => p.then(() => 'ok', (e: { reason?: string }) => e.reason);
  assert.equal(await reason(publisher.publish(tenant('app_bad', 'subscribe'), { channel: 'c', message: 1 })), 'publish_forbidden');
  assert.equal(await reason(publisher.publish(ctx, { channel: 'bad channel', message: 1 })), 'invalid_channel');
  assert.equal(await reason(publisher.publish(ctx, { channel: 'c', message: 'x'.repeat(70_000) })), 'payload_too_large');
  assert.equal(await reason(publisher.publish(ctx, { channel: 'c', message: 1, id: 'has:colon' })), 'invalid_message_id');
  assert.equal(await reason(publisher.publish(ctx, { channel: 'c', message: undefined })), 'invalid_message');
  let deep: unknown = 1;
  for (let i = 0; i < 150; i++) deep = [deep];
  assert.equal(await reason(publisher.publish(ctx, { channel: 'c', message: deep })), 'invalid_json');
  assert.equal(await reason(publisher.publish(tenant('app_bad', 'common'), { channel: 'private-x', message: 1 })), 'token_required');
  assert.equal(await redis.exists(keys.channel('app_bad', 'c').meta), 0);
});

test('a message id reused on another channel of the app is refused, not silently dropped (on a cluster ids are per channel: a new message)', async () => {
  const ctx = tenant('app_reuse');
  const first = await publisher.publish(ctx, { channel: 'one:with:colons', message: 1, id: 'same' });
  const again = await publisher.publish(ctx, { channel: 'one:with:colons', message: 1, id: 'same' });
  assert.deepEqual([again.duplicate, again.offset, again.channel], [true, first.offset, 'one:with:colons']);
  const other = publisher.publish(ctx, { channel: 'two', message: 1, id: 'same' });
  if (!onCluster()) {
    await assert.rejects(other, (e: { reason?: string }) => e.reason === 'message_id_conflict');
    return;
  }
  // The idempotency key lives in the channel's slot (docs/protocol.md#idempotent-publish).
  const stored = await other;
  assert.deepEqual([stored.duplicate, stored.offset, stored.channel], [false, 1, 'two']);
  assert.deepEqual((await log.history('app_reuse', 'two', { limit: 10, minTime: 0 })).frames.map((f) => JSON.parse(f).id), ['same']);
});

/** What the previous version left: offsets 1..3 accepted, 1 appended, 2 and 3 pending for a worker job. */
async function legacyChannel(appId: string, channel: string): Promise<string> {
  const k = keys.channel(appId, channel);
  const frame = (n: number) => `{"type":"message","channel":"${channel}","id":"m${n}","time":1,"content":${n},"offset":${n},"epoch":"E1"}`;
  await redis.xadd(k.history, '1-0', 'f', frame(1), 't', String(Date.now()));
  await redis.hset(k.meta, 'e', 'E1', 's', 3, 'a', 1, 'j', 1);
  await redis.hset(k.pending, '2', frame(2), '3', frame(3));
  await redis.zadd(keys.legacyPendingIndex, 1, keys.member(appId, channel));
  return k.fanout;
}

test('upgrade: what the previous path left pending is appended before the next message, in order', async () => {
  const fan = await legacyChannel('app_legacy', 'c');
  await fanouts.listen(fan);
  // Until upgraded, readers see what was appended (top 1), as before.
  assert.equal((await log.recover('app_legacy', 'c', undefined, window)).top, 1);
  const next = await publisher.publish(tenant('app_legacy'), { channel: 'c', message: 4 });
  assert.deepEqual([next.offset, next.epoch], [4, 'E1']);
  assert.deepEqual(offsetsOf((await log.history('app_legacy', 'c', { limit: 10, minTime: 0 })).frames), [1, 2, 3, 4]);
  await waitFor(() => fanouts.frames(fan).length === 3, { what: 'fan-out of 2, 3, 4' });
  assert.deepEqual(offsetsOf(fanouts.frames(fan)), [2, 3, 4]);
  assert.deepEqual((await archived('app_legacy', 'c')).map((a) => a.offset), [2, 3, 4]);
  const k = keys.channel('app_legacy', 'c');
  assert.deepEqual([await redis.hget(k.meta, 'a'), await redis.exists(k.pending)], [null, 0]);
  const resumed = await log.recover('app_legacy', 'c', { offset: 1, epoch: 'E1' }, window);
  assert.deepEqual([resumed.recovered, resumed.top, offsetsOf(resumed.frames)], [true, 4, [2, 3, 4]]);
});

test('upgrade: a quiet channel left pending is appended by the drain the worker runs at start', async () => {
  await legacyChannel('app_quiet', 'c');
  assert.ok((await log.legacyPendingChannels()).some((c) => c.appId === 'app_quiet'));
  assert.equal(await log.drainLegacy('app_quiet', 'c', window), 2);
  assert.equal(await log.drainLegacy('app_quiet', 'c', window), 0, 'a second drain finds nothing');
  assert.deepEqual(offsetsOf((await log.history('app_quiet', 'c', { limit: 10, minTime: 0 })).frames), [1, 2, 3]);
  assert.equal((await log.legacyPendingChannels()).some((c) => c.appId === 'app_quiet'), false);
  assert.equal((await publisher.publish(tenant('app_quiet'), { channel: 'c', message: 4 })).offset, 4);
});

test('an accept Redis refuses bills nothing: on one Redis its script never reached the billing, after a charge of its own (cluster, a batch over channels) the charge is given back', async () => {
  const ctx = tenant('app_refund');
  const now = Date.now();
  // A channel meta of the wrong type: Redis refuses the accept script (as a failing node would).
  await redis.set(keys.channel('app_refund', 'c').meta, 'not a hash');
  await assert.rejects(publisher.publish(ctx, { channel: 'c', message: 1 }, now), /WRONGTYPE/);
  const usage = await limits.usage('app_refund', now);
  assert.equal(usage.messagesToday, 0, 'the day quota is refunded');
  assert.equal(usage.publishesThisSecond, 1, 'the per-second rate keeps it, as it keeps refused publishes');
  const [minute] = (await limits.pendingMinutes()).filter((m) => m.appId === 'app_refund');
  assert.equal(minute.publishes, 0, 'the roll-up sees no publish');
  // A batch: the failed channel's items are refunded, the other channel's stay billed.
  const batch = await publisher.publishBatch(ctx, [{ channel: 'c', message: 2 }, { channel: 'ok', message: 3 }], now);
  assert.deepEqual(batch.map((r) => (r.ok ? 'ok' : r.error.reason)), ['unavailable', 'ok']);
  assert.equal((await limits.usage('app_refund', now)).messagesToday, 1);
});

test('on one Redis the accept feeds the archive in its own script: a feed Redis refuses stores nothing of the message and bills nothing', { skip: onCluster() && 'one Redis only: on a cluster the feed is another slot, written after the accept (the next test)' }, async () => {
  const ctx = tenant('app_feed1');
  const feed = keys.archive('app_feed1', 'c');
  await redis.set(feed, 'not a stream');
  await assert.rejects(publisher.publish(ctx, { channel: 'c', message: 'lost?', id: 'feed-1' }), /WRONGTYPE/);
  assert.deepEqual((await log.history('app_feed1', 'c', { limit: 10, minTime: 0 })).frames, [], 'not in history');
  assert.equal((await limits.usage('app_feed1')).messagesToday, 0, 'not stored, so not billed');
  await redis.del(feed);
  const again = await publisher.publish(ctx, { channel: 'c', message: 'kept', id: 'feed-1' });
  assert.deepEqual([again.duplicate, again.offset], [false, 1], 'the id was not taken by the refused attempt');
  assert.deepEqual(await archived('app_feed1', 'c', keys), [{ offset: 1, id: 'feed-1' }]);
});

/** The publish path as on a Redis Cluster (slot-tagged keys: the archive feed written after the accept), on the test Redis. */
function clusterParts() {
  const clusterKeys = new RedisKeys(config.redisPrefix, true);
  const clusterLog = new ChannelLog(redis, clusterKeys);
  const clusterLimits = new AppLimits(redis, clusterKeys);
  const clusterPublisher = new PublishService(clusterLog, config, new AccessTokens(new KeysRepository(prisma), config), clusterLimits);
  return { keys: clusterKeys, log: clusterLog, limits: clusterLimits, publisher: clusterPublisher };
}

test('on a cluster (the feed in another slot, written second): a feed that fails after the accept answers 503, the message is stored and kept billed, a retry with its id feeds it', async () => {
  const { keys: clusterKeys, log: clusterLog, limits: clusterLimits, publisher: clusterPublisher } = clusterParts();
  const ctx = tenant('app_feed');
  const feed = clusterKeys.archive('app_feed', 'c');
  await redis.set(feed, 'not a stream');
  await assert.rejects(clusterPublisher.publish(ctx, { channel: 'c', message: 'kept', id: 'feed-1' }), (e: { reason?: string; code?: number }) => e.reason === 'unavailable' && e.code === 503);
  assert.deepEqual((await clusterLog.history('app_feed', 'c', { limit: 10, minTime: 0 })).frames.map((f) => JSON.parse(f).id), ['feed-1']);
  assert.equal((await clusterLimits.usage('app_feed')).messagesToday, 1, 'stored, so billed');
  await redis.del(feed);
  const retry = await clusterPublisher.publish(ctx, { channel: 'c', message: 'kept', id: 'feed-1' });
  assert.deepEqual([retry.duplicate, retry.offset], [true, 1]);
  assert.deepEqual(await archived('app_feed', 'c', clusterKeys), [{ offset: 1, id: 'feed-1' }]);
});

test('HERALD_REDIS_WAIT_REPLICAS: replicas that do not confirm in time answer 503 not_replicated with Retry-After; the message is stored, delivered and stays billed; a retry with its id is answered the same until replicated', async () => {
  // The test Redis has no replica, a test cluster's masters one each: WAIT for one more than there are confirms too few.
  const waiting = new PublishService(new ChannelLog(redis, keys, { replicas: onCluster() ? 2 : 1, timeoutMs: 50 }), config, new AccessTokens(new KeysRepository(prisma), config), limits);
  const fan = keys.channel('app_wait', 'c').fanout;
  await fanouts.listen(fan);
  const ctx = tenant('app_wait');
  const notReplicated = (e: { reason?: string; code?: number; retryAfter?: number }) => e.reason === 'not_replicated' && e.code === 503 && e.retryAfter === 1;
  await assert.rejects(waiting.publish(ctx, { channel: 'c', message: 'w', id: 'wait-1' }), notReplicated);
  assert.deepEqual((await log.history('app_wait', 'c', { limit: 10, minTime: 0 })).frames.map((f) => JSON.parse(f).id), ['wait-1']);
  await waitFor(() => fanouts.frames(fan).length === 1, { what: 'delivered' });
  assert.equal((await limits.usage('app_wait')).messagesToday, 1, 'stored, so billed');
  await assert.rejects(waiting.publish(ctx, { channel: 'c', message: 'w', id: 'wait-1' }), notReplicated);
  assert.equal((await log.history('app_wait', 'c', { limit: 10, minTime: 0 })).frames.length, 1, 'the retry stored nothing new');
  const plain = await publisher.publish(ctx, { channel: 'c', message: 'w', id: 'wait-1' });
  assert.deepEqual([plain.duplicate, plain.offset], [true, 1]);
});

test('the usage roll-up reads every shard of the usage index and the previous version\'s unsharded one', async () => {
  const now = Date.now();
  const minute = Math.floor(now / 60_000);
  const apps = Array.from({ length: 12 }, (_, i) => `app_usage${i}`);
  for (const appId of apps) await publisher.publish(tenant(appId), { channel: 'c', message: 1 }, now);
  assert.ok(new Set(apps.map((a) => keys.shardOf(a))).size > 1, 'the apps span shards');
  // A minute the previous version indexed under the unsharded name.
  await redis.hset(keys.usageMinute('app_old', minute - 5), 'p', 7);
  await redis.zadd(keys.legacy('usage-minutes'), minute - 5, `app_old|${minute - 5}`);
  const pending = await limits.pendingMinutes();
  for (const appId of apps) assert.deepEqual(pending.filter((m) => m.appId === appId).map((m) => [m.minute, m.publishes]), [[minute, 1]], appId);
  assert.deepEqual(pending.filter((m) => m.appId === 'app_old').map((m) => [m.minute, m.publishes]), [[minute - 5, 7]]);
  await limits.forgetMinutes(pending.filter((m) => m.appId === 'app_old'));
  assert.equal(await redis.zcard(keys.legacy('usage-minutes')), 0);
  assert.equal((await limits.pendingMinutes()).some((m) => m.appId === 'app_old'), false);
});

for (const cluster of [false, true]) {
  test(`a publish with push carries its push spec on its archive entry (single and batch), a duplicate nothing; the frame stays as it was (${cluster ? 'cluster: fed second' : 'one Redis: fed by the accept'})`, async () => {
    const appId = cluster ? 'app_push_c' : 'app_push';
    const on = cluster ? clusterParts() : { keys, log, publisher };
    const ctx = tenant(appId);
    const push = { title: 'T', body: 'B', urgency: 'high' };
    await on.publisher.publish(ctx, { channel: 'c', message: 1, id: 'p-1', push, pushMode: 'offline' });
    await on.publisher.publish(ctx, { channel: 'c', message: 2, id: 'p-2' });
    await on.publisher.publish(ctx, { channel: 'c', message: 1, id: 'p-1', push, pushMode: 'offline' }); // duplicate
    await on.publisher.publishBatch(ctx, [{ channel: 'c', message: 3, id: 'p-3', push: { title: 'batch', body: '' } }, { channel: 'c', message: 4, id: 'p-4' }]);
    const entries = ((await redis.xrange(on.keys.archive(appId, 'c'), '-', '+')) as Array<[string, string[]]>).filter(([, f]) => f[1] === `${appId}|c`);
    const specs = entries.map(([, f]) => {
      const i = f.indexOf('p');
      return i >= 0 && i % 2 === 0 ? (JSON.parse(f[i + 1]) as { payload: string; ttl: number; urgency: string; mode: string }) : undefined;
    });
    assert.equal(entries.length, 4, 'the duplicate is stored nowhere');
    assert.deepEqual(specs.map((s) => s && { ...s, payload: JSON.parse(s.payload) }), [
      { payload: { title: 'T', body: 'B', channel: 'c', id: 'p-1' }, ttl: 86_400, urgency: 'high', mode: 'offline' },
      undefined,
      { payload: { title: 'batch', body: '', channel: 'c', id: 'p-3' }, ttl: 86_400, urgency: 'normal', mode: 'always' },
      undefined,
    ]);
    const frames = (await on.log.history(appId, 'c', { limit: 10, minTime: 0 })).frames.map((f) => JSON.parse(f) as Record<string, unknown>);
    assert.ok(frames.every((f) => !('push' in f) && !('p' in f)), 'subscribers never see the push spec');
    await assert.rejects(on.publisher.publish(tenant(appId, 'common'), { channel: 'c', message: 5, push }), { reason: 'push_forbidden' });
  });
}
