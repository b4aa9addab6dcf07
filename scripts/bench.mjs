#!/usr/bin/env node
// `npm run bench`: the foundation baseline. Starts API + 1 gateway + 1 worker as real processes
// (database herald_bench, a Redis prefix of their own), creates a demo-plan tenant and runs:
//
//   S-lat   one WebSocket subscriber on one channel; messages published over REST at a steady
//           open-loop rate; latency = receive time − publish time in the payload (HDR histogram)
//   S-rate  N messages over 100 channels by C keep-alive REST publishers; accepted/s and
//           drained/s (until one WS connection subscribed to all channels has them all)
//
// each R times, with server CPU (utime+stime from /proc) per 1,000 messages, and writes
// docs/benchmarks.md and docs/benchmarks.json.
//
//   npm run bench                 build only if dist is missing
//   npm run bench -- --build      build first anyway
//   npm run bench -- --no-write   print the results, leave docs/ alone
//
// Env: BENCH_RUNS (3), BENCH_LAT_MESSAGES (1000), BENCH_LAT_RATE (200 msg/s), BENCH_RATE_MESSAGES
// (5000), BENCH_RATE_CONCURRENCY (32), BENCH_RATE_CHANNELS (100), BENCH_WARMUP (1000 messages, not
// measured), DATABASE_URL (server to use; database herald_bench), REDIS_URL.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, run, buildReason } from './lib/prepare.mjs';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, ensureDatabase, ensureServices, migrate, redisCommands, withDatabase } from './lib/services.mjs';
import { Fatal, note, runMain, step, warn } from './lib/ui.mjs';

const intEnv = (name, def, min = 1) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Fatal(`${name} must be an integer ≥ ${min} (got "${raw}")`);
  return n;
};

function parseArgs(argv) {
  const opts = { build: false, write: true };
  for (const a of argv) {
    if (a === '--build') opts.build = true;
    else if (a === '--no-write') opts.write = false;
    else if (a === '-h' || a === '--help') {
      const lines = readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1);
      console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else throw new Fatal(`unknown option ${a} (see --help)`);
  }
  return opts;
}

// Production defaults for the timings startStack shortens for tests (libs/config defaults): a
// benchmark must not pay for a key cache of 0 ms or 1 s sweeps.
const PRODUCTION_TIMINGS = {
  HERALD_KEY_CACHE_MS: '5000',
  HERALD_PING_INTERVAL_MS: '25000',
  HERALD_PONG_TIMEOUT_MS: '10000',
  HERALD_STALLED_INTERVAL_MS: '30000',
  HERALD_JOB_LOCK_MS: '30000',
  HERALD_JOB_BACKOFF_MS: '200',
  HERALD_PENDING_SWEEP_MS: '5000',
  HERALD_ARCHIVE_BLOCK_MS: '1000',
};

const REQUIRED_DIST = ['dist/apps/api/src/main.js', 'dist/apps/gateway/src/main.js', 'dist/apps/worker/src/main.js', 'dist/libs/testing/src/index.js'];

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Deletes the keys under the bench stack's own prefix (history, queues) from the shared Redis. */
async function dropPrefix(redisUrl, prefix) {
  if (!/^t[0-9a-f]{10}:$/.test(prefix ?? '')) return; // only startStack's generated prefixes
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    for (let i = 0; i < 100_000; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const config = {
    runs: intEnv('BENCH_RUNS', 3),
    warmup: intEnv('BENCH_WARMUP', 1000, 0),
    lat: { messages: intEnv('BENCH_LAT_MESSAGES', 1000), rate: intEnv('BENCH_LAT_RATE', 200) },
    rate: { messages: intEnv('BENCH_RATE_MESSAGES', 5000), concurrency: intEnv('BENCH_RATE_CONCURRENCY', 32), channels: intEnv('BENCH_RATE_CHANNELS', 100) },
  };
  if (config.rate.channels > 500) throw new Fatal('BENCH_RATE_CHANNELS must be ≤ 500 (channels per subscribe frame)');
  const started = Date.now();

  // 1. Build, services, database.
  const missing = REQUIRED_DIST.filter((f) => !existsSync(join(ROOT, f)));
  if (opts.build || missing.length) {
    step(`Building: npm run build${missing.length ? ` (${missing[0]} is missing)` : ''}`);
    run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build']);
  } else {
    const stale = buildReason();
    if (stale && stale !== 'dist has no build stamp') warn(`using the existing build although ${stale} (npm run bench -- --build to rebuild)`);
    else note('using the existing build in dist/');
  }
  const baseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  const databaseUrl = withDatabase(baseUrl, 'herald_bench');
  await ensureServices({ databaseUrl, redisUrl });
  await ensureDatabase(databaseUrl);
  migrate(databaseUrl);

  const lib = await import('../bench/lib.mjs');
  const { latencyRun, rateRun } = await import('../bench/scenarios.mjs');
  const { writeReport, printSummary, aggregate } = await import('../bench/report.mjs');
  const testing = await import(pathToFileURL(join(ROOT, 'dist/libs/testing/src/index.js')).href);
  const { default: pg } = await import('pg');

  // 2. Facts about the machine and the software.
  const machine = lib.machineInfo();
  const [info] = await redisCommands(redisUrl, [['INFO', 'server']]);
  const redisVersion = typeof info === 'string' ? info.match(/redis_version:(\S+)/)?.[1] : null;
  const pgc = new pg.Client({ connectionString: databaseUrl });
  await pgc.connect();
  const pgVersion = (await pgc.query('SHOW server_version')).rows[0].server_version;
  const dirty = (sh('git', ['status', '--porcelain', '--', 'apps', 'libs']) ?? '').split('\n').filter(Boolean).length;
  const software = {
    node: process.version,
    redis: redisVersion,
    postgres: pgVersion,
    gitCommit: sh('git', ['rev-parse', '--short', 'HEAD']),
    uncommittedServerFiles: dirty,
  };

  // 3. The stack.
  step('Starting API + 1 gateway + 1 worker (real processes)');
  const stack = await testing.startStack({
    gateways: 1,
    workers: 1,
    env: { ...PRODUCTION_TIMINGS, HERALD_LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, REDIS_URL: redisUrl },
  });
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop().catch(() => {});
    await pgc.end().catch(() => {});
  };
  const onSignal = () => stopAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const results = { lat: [], rate: [] };
  let publisher;
  let idle;
  let exited = [];
  try {
    note(`redis prefix ${stack.env.HERALD_REDIS_PREFIX}  api ${stack.apiUrl}  gateway ${stack.wsUrl()}`);
    const tenant = await testing.createTenant(stack.apiUrl, { planId: 'demo' });
    const redisPid = lib.findRedisPid(Number(new URL(redisUrl).port || 6379));
    if (!redisPid) warn('redis-server pid not found (pgrep -x redis-server): its CPU is not reported');
    const pids = { api: stack.api.proc.pid, gateway: stack.gateways[0].proc.pid, worker: stack.workers[0].proc.pid, redis: redisPid };
    const cpu = async () => lib.cpuSnapshot(pids, await lib.postgresBackendPids(pgc, 'herald_bench'));
    publisher = lib.makePublisher(stack.apiUrl, tenant.secret, { sockets: config.rate.concurrency });
    const tag = Date.now().toString(36);
    const ctx = { wsUrl: stack.wsUrl(), subscribeKey: tenant.subscribeKey, publisher, cpu };

    // Warm-up (JIT, pools, key cache), not measured.
    if (config.warmup) {
      step(`Warm-up: ${config.warmup} messages (not measured)`);
      const channels = Array.from({ length: 10 }, (_, k) => `bench-warm-${tag}-${k}`);
      const w = await rateRun(ctx, { channels, count: config.warmup, concurrency: config.rate.concurrency, drainTimeoutMs: 30_000 });
      if (!w.drained || !w.allAccepted) warn(`warm-up incomplete: ${w.accepted} accepted, ${w.received} received, statuses ${JSON.stringify(w.statuses)}`);
    }

    // Idle CPU over 3 s: what the processes cost doing nothing (timers, BullMQ, archive polling).
    const idleBefore = await cpu();
    await lib.sleep(3000);
    const idleAfter = await cpu();
    idle = Object.fromEntries(
      Object.entries(lib.cpuPer1k(idleBefore, idleAfter, 1000)).map(([k, v]) => [k, v ? Math.round((v.cpuSeconds / 3) * 1000) / 1000 : null]),
    );

    for (let r = 1; r <= config.runs; r++) {
      step(`S-lat run ${r}/${config.runs}: ${config.lat.messages} messages at ${config.lat.rate} msg/s, 1 subscriber`);
      const res = await latencyRun(ctx, { channel: `bench-lat-${tag}-${r}`, count: config.lat.messages, rate: config.lat.rate });
      res.loadavg = (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100);
      results.lat.push(res);
      const l = res.latencyMs;
      note(`p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  max ${l.max} ms  received ${res.received}/${res.accepted}  gaps ${res.gaps}  dups ${res.duplicates}`);
    }
    for (let r = 1; r <= config.runs; r++) {
      step(`S-rate run ${r}/${config.runs}: ${config.rate.messages} messages, ${config.rate.concurrency} publishers, ${config.rate.channels} channels`);
      const channels = Array.from({ length: config.rate.channels }, (_, k) => `bench-rate-${tag}-${r}-${k}`);
      const res = await rateRun(ctx, { channels, count: config.rate.messages, concurrency: config.rate.concurrency });
      res.loadavg = (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100);
      results.rate.push(res);
      note(`accepted ${res.acceptedPerSec}/s  drained ${res.drainedPerSec}/s  received ${res.received}/${res.accepted}  gaps ${res.gaps}  dups ${res.duplicates}`);
    }
  } finally {
    // A server that died during the runs is an anomaly; look before stopping them all.
    exited = [stack.api, ...stack.gateways, ...stack.workers].filter((a) => a.proc.exitCode !== null || a.proc.signalCode !== null);
    publisher?.close();
    await stopAll();
    await dropPrefix(redisUrl, stack.env.HERALD_REDIS_PREFIX).catch((e) => warn(`could not delete the bench's Redis keys: ${e.message}`));
  }

  const report = {
    date: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    command: 'npm run bench',
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_'))),
    config,
    machine,
    software,
    stack: { processes: 'api + 1 gateway + 1 worker (startStack, real processes)', timings: PRODUCTION_TIMINGS, logLevel: 'warn', database: 'herald_bench', plan: 'demo' },
    idleCpuSecondsPerSecond: idle,
    unexpectedExits: exited.map((a) => ({ name: a.name, code: a.proc.exitCode, signal: a.proc.signalCode, output: a.output().slice(-2000) })),
    runs: results,
  };
  report.summary = aggregate(report);
  printSummary(report);
  if (opts.write) {
    writeFileSync(join(ROOT, 'docs/benchmarks.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(ROOT, 'docs/benchmarks.md'), writeReport(report));
    step('Wrote docs/benchmarks.md and docs/benchmarks.json');
  }
  const bad = report.summary.anomalies.filter((a) => a.severity === 'error');
  return bad.length ? 1 : 0;
}

runMain(main);
