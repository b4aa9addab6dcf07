// Server-side measurements from /proc: CPU (utime+stime) and memory (VmRSS) of a target's processes,
// with Redis (and Postgres backends for Herald) counted on their own and added to the target's total.
import { cpuSeconds, postgresBackendPids } from '../lib.mjs';
import { readFileSync } from 'node:fs';

/** VmRSS of a process in bytes, or null when gone. */
export function rssBytes(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * The processes measured for a target: its own servers (target.pids()), plus `redis` when it uses Redis
 * (or every node of its Redis Cluster, `redis-…`, when it names them: target.redisPids()) and the
 * Postgres backends of herald_bench when it uses Postgres.
 */
export async function processesOf(target, ctx) {
  const own = target.pids();
  const extra = {};
  if (target.usesRedis && target.redisPids) Object.assign(extra, target.redisPids());
  else if (target.usesRedis && ctx.redisPid) extra.redis = ctx.redisPid;
  if (target.usesPostgres && ctx.pg) for (const pid of await postgresBackendPids(ctx.pg, ctx.database)) extra[`postgres-${pid}`] = pid;
  return { own, extra };
}

/** CPU seconds of every measured process now. */
export async function cpuSample(target, ctx) {
  const { own, extra } = await processesOf(target, ctx);
  const all = { ...own, ...extra };
  return { at: performance.now(), cpu: Object.fromEntries(Object.entries(all).map(([n, pid]) => [n, cpuSeconds(pid)])) };
}

const r3 = (x) => Math.round(x * 1000) / 1000;

/**
 * CPU used between two samples: per process, `servers` (the target's own processes), `redis` (every
 * `redis` or `redis-…` process),
 * `postgres` (all backends) and `total` (servers + redis + postgres). A process that appeared in
 * between counts from 0.
 */
export function cpuUsed(before, after) {
  const per = {};
  for (const [n, v] of Object.entries(after.cpu)) if (v != null) per[n] = r3(v - (before.cpu[n] ?? 0));
  let servers = 0;
  let redis = 0;
  let postgres = 0;
  for (const [n, v] of Object.entries(per)) {
    if (n === 'redis' || n.startsWith('redis-')) redis += v;
    else if (n.startsWith('postgres-')) postgres += v;
    else servers += v;
  }
  for (const n of Object.keys(per)) if (n.startsWith('postgres-')) delete per[n];
  return { perProcess: per, servers: r3(servers), redis: r3(redis), postgres: r3(postgres), total: r3(servers + redis + postgres), seconds: r3((after.at - before.at) / 1000) };
}

/** RSS of every measured process (bytes): per process, servers, redis, total. */
export async function rssSample(target, ctx) {
  const { own } = await processesOf(target, ctx);
  const per = Object.fromEntries(Object.entries(own).map(([n, pid]) => [n, rssBytes(pid)]));
  const servers = Object.values(per).reduce((t, v) => t + (v ?? 0), 0);
  const redis = target.usesRedis && ctx.redisPid ? rssBytes(ctx.redisPid) : 0;
  return { perProcess: per, servers, redis, total: servers + redis };
}
