#!/usr/bin/env node
// What MQTT wildcards on a Redis Cluster cost the accept path (docs/mqtt.md#wildcard-subscriptions), on a
// loopback 3-master/3-replica cluster of its own (startRedisCluster), through ChannelLog.accept itself:
//  - baseline: the accept without the mark read (a MqttWildcardMarks that answers '' without Redis: the
//    accept as it was before wildcards worked on a cluster);
//  - unmarked: an app without wildcard subscribers (the real read, cached 1 s per process);
//  - marked: an app with a holder (every frame also PUBLISHed on the app's classic channel, broadcast).
// Each: one accept at a time (p50/p99 µs), then 64 in flight (accepts/s), over 100 channels; the rounds
// alternate so the machine's load drifts over all of them alike. Plus the ZCOUNT calls the masters saw.
//
//   npm run build && node bench/mqtt-wildcard-mark.mjs
//   Env: BENCH_MARK_SEQUENTIAL (2000 accepts), BENCH_MARK_PARALLEL (20000), BENCH_MARK_ROUNDS (3).
import { inFlight, intEnv, newHistogram, summarize } from './lib.mjs';

const sequential = intEnv('BENCH_MARK_SEQUENTIAL', 2000);
const parallel = intEnv('BENCH_MARK_PARALLEL', 20000);
const rounds = intEnv('BENCH_MARK_ROUNDS', 3);

const { startRedisCluster, uniquePrefix } = await import('../dist/libs/testing/src/index.js');
const { ChannelLog, MqttWildcardMarks, RedisKeys, createRedis } = await import('../dist/libs/bus/src/index.js');
const { loadConfig } = await import('../dist/libs/config/src/index.js');
const { Redis } = await import('ioredis');

class NoRead extends MqttWildcardMarks {
  fanoutOf() {
    return Promise.resolve('');
  }
}

const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
const config = loadConfig({ REDIS_CLUSTER_NODES: cluster.nodes, HERALD_REDIS_PREFIX: uniquePrefix(), HERALD_LOG_LEVEL: 'silent' });
const keys = new RedisKeys(config.redisPrefix, true);
const redis = createRedis(config, 'command', 'bench');
const masters = cluster.masterPorts.map((port) => new Redis(port, '127.0.0.1'));
const window = { historySize: 100, historyTtlMs: 60_000 };
const channels = Array.from({ length: 100 }, (_, i) => `bench-${i}`);
const zcounts = async () => {
  let calls = 0;
  for (const m of masters) calls += Number(/cmdstat_zcount:calls=(\d+)/.exec(await m.info('commandstats'))?.[1] ?? 0);
  return calls;
};

const variants = {
  baseline: { appId: 'bench-base', log: new ChannelLog(redis, keys, undefined, new NoRead(redis, keys)) },
  unmarked: { appId: 'bench-plain', log: new ChannelLog(redis, keys) },
  marked: { appId: 'bench-wild', log: new ChannelLog(redis, keys) },
};
await new MqttWildcardMarks(redis, keys).hold([variants.marked.appId], 'bench-gateway', 3_600_000);
const results = Object.fromEntries(Object.keys(variants).map((k) => [k, { one: newHistogram(), perSecond: [], zcount: 0, ms: 0 }]));
let n = 0;
try {
  for (const { appId, log } of Object.values(variants)) for (const c of channels) await log.accept(appId, c, `warm-${c}`, '{"data":0', window, 60_000, Date.now());
  for (let round = 0; round < rounds; round++) {
    for (const [name, { appId, log }] of Object.entries(variants)) {
      const r = results[name];
      const before = await zcounts();
      const started = performance.now();
      for (let i = 0; i < sequential; i++) {
        const t0 = performance.now();
        await log.accept(appId, channels[i % channels.length], `m${n++}`, '{"data":1', window, 60_000, Date.now());
        r.one.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      }
      const seconds = await inFlight(parallel, 64, (i) => log.accept(appId, channels[i % channels.length], `m${n++}`, '{"data":1', window, 60_000, Date.now()));
      r.perSecond.push(Math.round(parallel / seconds));
      r.ms += performance.now() - started;
      r.zcount += (await zcounts()) - before;
    }
  }
  console.log(`${rounds} rounds × (${sequential} accepts one at a time, then ${parallel} with 64 in flight), 100 channels, loopback 3-master cluster`);
  for (const [name, r] of Object.entries(results)) {
    const s = summarize(r.one);
    console.log(
      `${name.padEnd(9)} one at a time p50 ${s.p50.toFixed(3)} ms p99 ${s.p99.toFixed(3)} ms; 64 in flight ${r.perSecond.join(' / ')} accepts/s; ` +
        `${r.zcount} ZCOUNT in ${(r.ms / 1000).toFixed(1)} s`,
    );
  }
} finally {
  redis.disconnect();
  for (const m of masters) m.disconnect();
  await cluster.stop();
}
