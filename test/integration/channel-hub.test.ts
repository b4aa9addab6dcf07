import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type HeraldConfig } from '@herald/config';
import { AppLimits, ChannelLog, ChannelOccupancy, RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { fanoutSubscribers, publishFanout, testAppContext, uniquePrefix, waitFor } from '@herald/testing';
import { GatewayMetrics, HeraldMetrics } from '@herald/observability';
import { ChannelHub } from '../../apps/gateway/src/channels/channel-hub.js';
import { Session } from '../../apps/gateway/src/session/session.js';
import type { Transport } from '../../apps/gateway/src/session/transport.js';
import { OutboundFrame } from '../../apps/gateway/src/session/outbound-frame.js';

// The gateway's channel hub on the real Redis: gap filling, duplicate dropping, subscriptions held
// only while local subscribers exist.
let config: HeraldConfig;
let redis: RedisClient;
let keys: RedisKeys;
let log: ChannelLog;
let hub: ChannelHub;
const window = { historySize: 100, historyTtlMs: 3_600_000 };

class RecordingTransport implements Transport {
  readonly name = 'ws' as const;
  readonly unidirectional = false;
  readonly pingIntervalMs = 60_000;
  readonly frames: Array<Record<string, unknown>> = [];
  send(frame: OutboundFrame): void {
    this.frames.push(JSON.parse(frame.text()));
  }
  ping(): void {}
  close(): void {}
  whenClosed(): Promise<void> {
    return Promise.resolve();
  }
  terminate(): void {}
  offsets(): number[] {
    return this.frames.filter((f) => f.type === 'message').map((f) => f.offset as number);
  }
}

function session(appId: string): { s: Session; t: RecordingTransport } {
  const ctx = testAppContext(appId, { plan: { maxPublishesPerSecond: 10, historySize: 100 }, keyKind: 'common' });
  const t = new RecordingTransport();
  return { s: new Session(`s-${Math.random()}`, ctx, t, Date.now()), t };
}

async function publish(appId: string, channel: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const head = `{"type":"message","channel":"${channel}","id":"${appId}-${Math.random().toString(36).slice(2)}","time":${Date.now()},"content":${i}`;
    await log.accept(appId, channel, `id${Math.random().toString(36).slice(2)}`, head, window, 60_000, Date.now());
  }
}

before(() => {
  config = loadConfig({ ...process.env, HERALD_REDIS_PREFIX: uniquePrefix(), HERALD_LOG_LEVEL: 'silent', HERALD_FANOUT_LINGER_MS: '300' });
  redis = createRedis(config, 'command', 'test');
  keys = RedisKeys.of(config);
  log = new ChannelLog(redis, keys);
  hub = new ChannelHub(config, log, keys, new GatewayMetrics(new HeraldMetrics('gateway')), new AppLimits(redis, keys), new ChannelOccupancy(redis, keys, config));
  hub.onModuleInit();
});

after(async () => {
  await hub.onApplicationShutdown();
  redis.disconnect();
});

test('a gap on the live feed is filled from history; a repeated frame is dropped', async () => {
  const { s, t } = session('app_gap');
  await hub.subscribe(s, 'c', undefined, (r) => OutboundFrame.of({ type: 'subscribed', channel: 'c', ...r }));
  await publish('app_gap', 'c', 3);
  await waitFor(() => t.offsets().length === 3);

  // Offsets 4 and 5 reach history without their live frames (as if the pub/sub link dropped them)…
  const k = keys.channel('app_gap', 'c');
  const frame = (o: number) => `{"type":"message","channel":"c","id":"x${o}","time":${Date.now()},"content":${o},"offset":${o},"epoch":"${t.frames[0].epoch}"}`;
  for (const o of [4, 5, 6]) await redis.xadd(k.history, `${o}-0`, 'f', frame(o), 't', String(Date.now()));
  await redis.hset(k.meta, 'a', 6, 's', 6);
  // …then 6 arrives live: the hub must deliver 4, 5, 6 in order.
  await publishFanout(redis, k.fanout, frame(6));
  await waitFor(() => t.offsets().length === 6, { what: 'gap filled' });
  // A repeated live frame (a duplicate) is dropped.
  await publishFanout(redis, k.fanout, frame(5));
  await publish('app_gap', 'c', 1);
  await waitFor(() => t.offsets().length === 7);
  assert.deepEqual(t.offsets(), [1, 2, 3, 4, 5, 6, 7]);
  hub.unsubscribeAll(s);
});

test('subscribing while messages flow: replay and live join with no gap and no duplicate', async () => {
  const first = session('app_join');
  await hub.subscribe(first.s, 'c', undefined, (r) => OutboundFrame.of({ type: 'subscribed', channel: 'c', ...r }));
  await publish('app_join', 'c', 5);
  await waitFor(() => first.t.offsets().length === 5);
  const epoch = first.t.frames[0].epoch as string;
  // A second subscriber resumes from offset 2 while more messages are appended concurrently.
  const second = session('app_join');
  const flowing = publish('app_join', 'c', 20);
  await hub.subscribe(second.s, 'c', { offset: 2, epoch }, (r) => OutboundFrame.of({ type: 'subscribed', channel: 'c', ...r }));
  await flowing;
  await waitFor(() => second.t.offsets().length === 23, { what: 'second caught up' });
  assert.deepEqual(second.t.offsets(), Array.from({ length: 23 }, (_, i) => i + 3));
  assert.deepEqual(first.t.offsets(), Array.from({ length: 25 }, (_, i) => i + 1));
  hub.unsubscribeAll(first.s);
  hub.unsubscribeAll(second.s);
});

test('the Redis subscription is held only while the gateway has a local subscriber', async () => {
  const fan = keys.channel('app_refs', 'c').fanout;
  // On a cluster the subscription is sharded: counted by SHARDNUMSUB on the channel's master.
  const numsub = () => fanoutSubscribers(redis, fan);
  const a = session('app_refs');
  const b = session('app_refs');
  await hub.subscribe(a.s, 'c', undefined, (r) => OutboundFrame.of({ type: 'subscribed', channel: 'c', ...r }));
  await hub.subscribe(b.s, 'c', undefined, (r) => OutboundFrame.of({ type: 'subscribed', channel: 'c', ...r }));
  assert.equal(await numsub(), 1);
  hub.unsubscribe(a.s, 'c');
  assert.equal(await numsub(), 1);
  hub.unsubscribe(b.s, 'c');
  await waitFor(async () => (await numsub()) === 0, { what: 'unsubscribed from Redis' });
  assert.equal(hub.channelCount, 0);
});

test('subscribers resuming together share one recovery read; each gets exactly its missed messages, in order, while publishing goes on', async () => {
  const app = 'app_storm';
  const first = session(app);
  await hub.subscribe(first.s, 'st', undefined, (r) => OutboundFrame.of({ type: 'subscribed', channel: 'c', ...r }));
  await publish(app, 'st', 6);
  await waitFor(() => first.t.offsets().length === 6);
  const epoch = first.t.frames[0].epoch as string;

  let reads = 0;
  const recover = log.recover.bind(log);
  log.recover = (...args: Parameters<ChannelLog['recover']>) => {
    reads++;
    return recover(...args);
  };
  try {
    // 120 clients resume in one turn from three positions (and one from a lost epoch), while 6 more
    // messages are published and appended meanwhile.
    const positions = [2, 4, 6];
    const resumers = Array.from({ length: 120 }, (_, i) => ({ ...session(app), since: positions[i % 3] }));
    const stale = session(app);
    const publishing = publish(app, 'st', 6);
    const subscribed = [
      ...resumers.map((r) => hub.subscribe(r.s, 'st', { offset: r.since, epoch }, (res) => OutboundFrame.of({ type: 'subscribed', channel: 'st', ...res }))),
      hub.subscribe(stale.s, 'st', { offset: 3, epoch: 'lost-epoch' }, (res) => OutboundFrame.of({ type: 'subscribed', channel: 'st', ...res })),
    ];
    await Promise.all([publishing, ...subscribed]);
    await waitFor(() => resumers.every((r) => r.t.offsets().at(-1) === 12));
    assert.ok(reads <= 4, `${reads} recovery reads for 121 subscribers (one per position)`);
    for (const r of resumers) {
      const sub = r.t.frames.find((f) => f.type === 'subscribed')!;
      assert.equal(sub.recovered, true);
      assert.deepEqual(
        r.t.offsets(),
        Array.from({ length: 12 - r.since }, (_, k) => r.since + 1 + k),
      );
    }
    const staleSub = stale.t.frames.find((f) => f.type === 'subscribed')!;
    assert.equal(staleSub.recovered, false);
    assert.equal(staleSub.replayed, 0);

    // A read issued before a frame reached the gateway is not shared after it: a later resumer reads again.
    const before = reads;
    await publish(app, 'st', 1);
    await waitFor(() => first.t.offsets().at(-1) === 13);
    const late = session(app);
    await hub.subscribe(late.s, 'st', { offset: 6, epoch }, (res) => OutboundFrame.of({ type: 'subscribed', channel: 'st', ...res }));
    assert.equal(reads, before + 1);
    assert.deepEqual(late.t.offsets(), [7, 8, 9, 10, 11, 12, 13]);
  } finally {
    log.recover = recover;
  }
});
