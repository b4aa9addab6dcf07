// CLUSTER (Herald only, issue 16): the same Herald (API + 2 gateways + 1 worker, npm start's defaults) on
// one Redis and on a 3-master Redis Cluster with a replica per master (Debian's redis-server, started as
// the tests start theirs: startRedisCluster in libs/testing), one after the other in one run, each taking
// S3's latency load (one channel, fixed rate, open loop) and S4's stepped durable publishes (single and
// batched, 1,000 channels: spread over every master), stepped up until a side falls behind.
//
// CPU counts Herald's processes, the Postgres backends and Redis: the one Redis, or every node of the
// cluster, masters (`redis-master-k`) and replicas (`redis-replica-k`) apart. The comparison counts the
// masters only: they do the work the one Redis does (scripts, fan-out, queues), while a replica's CPU is
// the price of having a replica at all, which the one Redis does not pay; it is reported next to it.
import os from 'node:os';
import { broadcast, openFor } from './common.mjs';
import { latencyRun } from './s3-latency.mjs';
import { durableRun } from './s4-durable.mjs';
import { SATURATED_P50_MS } from '../report.mjs';

/** S3 then S4 on one running Herald. */
async function arm(ctx, target, name, { s3, s4, runs, bytes, tag }) {
  // The machine is shared: the 1-minute load average around each arm says how quiet it was.
  const out = { loadavg: { start: os.loadavg()[0] }, s3: [], s4: null };
  const channel = `cl-${tag}-${name}`;
  ctx.step?.(`Cluster scenario, ${name}: S3 ${s3.subscribers} subscribers at ${s3.rate} msg/s for ${s3.seconds} s × ${runs}, then S4`);
  const subs = await openFor(target, 'ws', s3.subscribers, channel);
  try {
    await broadcast(ctx, target, subs, { channel, count: Math.round(s3.rate * 2), rate: s3.rate, bytes }); // warm-up
    for (let r = 1; r <= runs; r++) {
      const res = await latencyRun(ctx, target, subs, { channel, rate: s3.rate, seconds: s3.seconds, bytes });
      ctx.note?.(`CLUSTER ${name} S3 run ${r}: p50 ${res.latencyMs.p50} p99 ${res.latencyMs.p99} ms, ${res.deliveries}/${res.expected} delivered, Redis ${res.cpu.redis} CPU-s`);
      out.s3.push(res);
    }
  } finally {
    await subs.close();
  }
  // What is compared is the cost per message of a side that keeps up, not its latency: a step fails when
  // it falls behind (deliveries short of the accepts, < 95 % of the rate, or p50 ≥ the bench's saturation
  // mark), not on S4's p99 limit, which a busy shared machine breaks for both sides alike.
  out.s4 = await durableRun(ctx, target, { ...s4, p99LimitMs: Infinity, p50LimitMs: SATURATED_P50_MS, tag: `${tag}-${name}` });
  out.loadavg.end = os.loadavg()[0];
  return out;
}

/**
 * `start(env)` starts a Herald target with that extra environment. Returns { one, cluster }, each
 * { redis: what was counted, s3: [run…], s4: durableRun's result }.
 */
export async function clusterRun(ctx, start, { masters, s3, s4, runs, bytes, tag }) {
  const result = {};
  const herald = await start({ REDIS_URL: ctx.redisUrl });
  try {
    result.one = { redis: { nodes: 1, counted: ['redis'] }, ...(await arm(ctx, herald, 'one', { s3, s4, runs, bytes, tag })) };
  } finally {
    await herald.stop();
  }
  ctx.step?.(`Starting a Redis Cluster: ${masters} masters, 1 replica each (redis-server)`);
  const cluster = await ctx.testing.startRedisCluster({ masters, replicasPerMaster: 1 });
  try {
    const pids = {
      ...Object.fromEntries(cluster.pids.masters.map((pid, k) => [`redis-master-${k + 1}`, pid])),
      ...Object.fromEntries(cluster.pids.replicas.map((pid, k) => [`redis-replica-${k + 1}`, pid])),
    };
    // REDIS_URL stays set (the bench's Redis): Herald ignores it in cluster mode, the stack's cleanup reads it.
    const target = await start({ REDIS_URL: ctx.redisUrl, REDIS_CLUSTER_NODES: cluster.nodes });
    target.redisPids = () => pids;
    try {
      result.cluster = { redis: { nodes: Object.keys(pids).length, masters, counted: Object.keys(pids) }, ...(await arm(ctx, target, 'cluster', { s3, s4, runs, bytes, tag })) };
    } finally {
      await target.stop();
    }
  } finally {
    await cluster.stop();
  }
  return result;
}
