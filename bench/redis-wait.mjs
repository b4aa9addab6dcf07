#!/usr/bin/env node
// What durability on a Redis Cluster costs (docs/architecture.md#durability), on a loopback
// 3-master/3-replica cluster of its own (startRedisCluster):
//  1. the failover check of the accept script (INFO replication + its parse, cluster mode only): Redis's
//     own µs per call (INFO commandstats) of a script doing just that vs an empty script, on a master;
//  2. HERALD_REDIS_WAIT_REPLICAS=0 vs 1: a stack (API + 1 gateway) each, REST publishes to 100 channels —
//     latency of one publish at a time (p50/p99) and publishes/s with 64 in flight.
//
//   npm run build && node bench/redis-wait.mjs
//   Env: BENCH_WAIT_SEQUENTIAL (1000 publishes), BENCH_WAIT_PARALLEL (10000), DATABASE_URL (server; database
//   herald_bench, created and migrated here) and REDIS_URL as for npm run bench.
import { inFlight, intEnv, makePublisher, newHistogram, summarize, useBenchDatabase } from './lib.mjs';

const sequential = intEnv('BENCH_WAIT_SEQUENTIAL', 1000);
const parallel = intEnv('BENCH_WAIT_PARALLEL', 10000);

// Its own database (herald_bench, as `npm run bench`): the stack's processes read DATABASE_URL.
await useBenchDatabase();

const { startRedisCluster, startStack, createTenant } = await import('../dist/libs/testing/src/index.js');
const { Redis } = await import('ioredis');

/** Server-side µs per EVAL of `source` (INFO commandstats), over `n` calls on one connection. */
async function usecPerEval(redis, source, n) {
  await redis.config('RESETSTAT');
  for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: 100 }, () => redis.eval(source, 0)));
  const stats = await redis.info('commandstats');
  return Number(/cmdstat_eval:calls=\d+,usec=\d+,usec_per_call=([\d.]+)/.exec(stats)?.[1]);
}

async function publishes(stack, label) {
  const t = await createTenant(stack.apiUrl);
  const pub = makePublisher(stack.apiUrl, t.secret, { sockets: 64 });
  const channels = Array.from({ length: 100 }, (_, i) => `bench-${i}`);
  for (const c of channels) await pub.publish(c, 'warm-up');
  const one = newHistogram();
  for (let i = 0; i < sequential; i++) {
    const r = await pub.publish(channels[i % channels.length], { i });
    if (r.status !== 200) throw new Error(`${label}: publish ${r.status} ${JSON.stringify(r.body)}`);
    one.recordValue(Math.max(1, Math.round(r.ms * 1000)));
  }
  let failed = 0;
  const seconds = await inFlight(parallel, 64, async (i) => {
    const r = await pub.publish(channels[i % channels.length], { i });
    if (r.status !== 200) failed++;
  });
  pub.close();
  return { label, oneAtATime: summarize(one), publishesPerSecond: Math.round(parallel / seconds), failed };
}

const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
try {
  const [host, port] = cluster.nodes.split(',')[0].split(':');
  const master = new Redis(Number(port), host);
  const info = `local id = string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)') return 1`;
  const empty = 'return 1';
  const calls = 20_000;
  const withInfo = await usecPerEval(master, info, calls);
  const without = await usecPerEval(master, empty, calls);
  master.disconnect();
  console.log(JSON.stringify({ failoverCheck: { usecPerCallWithInfo: withInfo, usecPerCallEmpty: without, usecAdded: Math.round((withInfo - without) * 100) / 100 } }));

  for (const replicas of ['0', '1']) {
    const stack = await startStack({ timings: 'defaults', gateways: 1, workers: 1, env: { REDIS_CLUSTER_NODES: cluster.nodes, HERALD_REDIS_WAIT_REPLICAS: replicas, HERALD_LOG_LEVEL: 'warn' }, startTimeoutMs: 60_000 });
    try {
      console.log(JSON.stringify(await publishes(stack, `WAIT ${replicas}`)));
    } finally {
      await stack.stop();
    }
  }
} finally {
  await cluster.stop();
}
