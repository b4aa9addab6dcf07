#!/usr/bin/env node
// `npm run bench`: the foundation baseline. Starts API + 1 gateway + 1 worker as real processes
// (database herald_bench, a Redis prefix of their own), creates a demo-plan tenant and runs:
//
//   S-lat   one WebSocket subscriber on one channel; messages published over REST at a steady
//           open-loop rate; latency = receive time − publish time in the payload (HDR histogram)
//   S-rate  N messages over 100 channels by C keep-alive REST publishers; accepted/s and
//           drained/s (until one WS connection subscribed to all channels has them all)
//   S-transports  per transport (WebSocket, SSE, long-polling): one subscriber on one channel, REST
//           publishes at a steady open-loop rate (1,000 msg/s); publish→deliver latency, achieved send
//           rate, gaps/duplicates, and for long-polling the request churn (polls, messages per answer)
//   S-webhooks  webhook deliveries/s to a local receiver and scheduled-publish punctuality, on a stack
//           of its own (bench/webhooks.mjs; BENCH_WEBHOOK_MESSAGES, BENCH_SCHEDULED)
//
// each R times, with server CPU (utime+stime from /proc) per 1,000 messages, and writes
// docs/benchmarks.md and docs/benchmarks.json.
//
//   npm run bench                 build only if dist is missing
//   npm run bench -- --build      build first anyway
//   npm run bench -- --no-write   print the results, leave docs/ alone
//   npm run bench -- --only transports   run only these scenarios (comma-separated: lat, rate,
//                                 transports); the others' results are carried over from the
//                                 existing docs/benchmarks.json, marked with their own date
//
// Env: BENCH_RUNS (3), BENCH_LAT_MESSAGES (1000), BENCH_LAT_RATE (200 msg/s), BENCH_RATE_MESSAGES
// (5000), BENCH_RATE_CONCURRENCY (32), BENCH_RATE_CHANNELS (100), BENCH_WARMUP (1000 messages, not
// measured), BENCH_TRANSPORT_RATE (1000 msg/s), BENCH_TRANSPORT_COUNT (5000), BENCH_TRANSPORT_SOCKETS
// (256 keep-alive publish sockets), BENCH_TRANSPORTS (ws,sse,poll), DATABASE_URL (server to use;
// database herald_bench), REDIS_URL.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import os from 'node:os';
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

const SCENARIOS = ['lat', 'rate', 'transports', 'webhooks'];

function parseArgs(argv) {
  const opts = { build: false, write: true, only: new Set(SCENARIOS) };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--build') opts.build = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const list = a === '--only' ? argv[++k] : a.slice('--only='.length);
      const names = (list ?? '').split(',').map((x) => x.trim().replace(/^S-/i, '').toLowerCase()).filter(Boolean);
      const bad = names.filter((n) => !SCENARIOS.includes(n));
      if (!names.length || bad.length) throw new Fatal(`--only takes a comma-separated list of ${SCENARIOS.join(', ')} (got "${list ?? ''}")`);
      opts.only = new Set(names);
    }
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
    transports: {
      messages: intEnv('BENCH_TRANSPORT_COUNT', 5000),
      rate: intEnv('BENCH_TRANSPORT_RATE', 1000),
      sockets: intEnv('BENCH_TRANSPORT_SOCKETS', 256),
      list: (process.env.BENCH_TRANSPORTS || 'ws,sse,poll').split(',').map((x) => x.trim()).filter(Boolean),
    },
    scenarios: SCENARIOS.filter((s) => opts.only.has(s)),
  };
  const badTransport = config.transports.list.filter((t) => !['ws', 'sse', 'poll'].includes(t));
  if (badTransport.length || !config.transports.list.length) throw new Fatal(`BENCH_TRANSPORTS takes a comma-separated list of ws, sse, poll (got "${process.env.BENCH_TRANSPORTS}")`);
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
  const { transportRun } = await import('../bench/transports.mjs');
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

  const results = { lat: [], rate: [], transports: [], webhooks: [] };
  let publisher;
  let transportPublisher;
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
    // S-transports publishes through its own agent, sized so that the open-loop sender never waits
    // for a free socket at its rate (maxInflight in the results says how many it needed).
    transportPublisher = lib.makePublisher(stack.apiUrl, tenant.secret, { sockets: config.transports.sockets });
    const ctx = {
      wsUrl: stack.wsUrl(),
      gatewayUrl: stack.gateways[0].url,
      subscribeKey: tenant.subscribeKey,
      publisher,
      transportPublisher,
      transportSockets: config.transports.sockets,
      cpu,
    };
    const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

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

    for (let r = 1; r <= config.runs && opts.only.has('lat'); r++) {
      step(`S-lat run ${r}/${config.runs}: ${config.lat.messages} messages at ${config.lat.rate} msg/s, 1 subscriber`);
      const res = await latencyRun(ctx, { channel: `bench-lat-${tag}-${r}`, count: config.lat.messages, rate: config.lat.rate });
      res.loadavg = (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100);
      results.lat.push(res);
      const l = res.latencyMs;
      note(`p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  max ${l.max} ms  received ${res.received}/${res.accepted}  gaps ${res.gaps}  dups ${res.duplicates}`);
    }
    for (let r = 1; r <= config.runs && opts.only.has('rate'); r++) {
      step(`S-rate run ${r}/${config.runs}: ${config.rate.messages} messages, ${config.rate.concurrency} publishers, ${config.rate.channels} channels`);
      const channels = Array.from({ length: config.rate.channels }, (_, k) => `bench-rate-${tag}-${r}-${k}`);
      const res = await rateRun(ctx, { channels, count: config.rate.messages, concurrency: config.rate.concurrency });
      res.loadavg = (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100);
      results.rate.push(res);
      note(`accepted ${res.acceptedPerSec}/s  drained ${res.drainedPerSec}/s  received ${res.received}/${res.accepted}  gaps ${res.gaps}  dups ${res.duplicates}`);
    }
    if (opts.only.has('transports')) {
      const t = config.transports;
      // One short unmeasured pass per transport: the SSE and poll code paths are not touched by the warm-up above.
      if (config.warmup) {
        step(`S-transports warm-up: ${Math.min(1000, config.warmup)} messages per transport at ${t.rate} msg/s (not measured)`);
        for (const tr of t.list) await transportRun(ctx, tr, { channel: `bench-tw-${tag}-${tr}`, count: Math.min(1000, config.warmup), rate: t.rate });
      }
      // Transports interleaved within each run (ws, sse, poll, ws, …) so the machine's noise spreads over all of them.
      for (let r = 1; r <= config.runs; r++) {
        for (const tr of t.list) {
          step(`S-transports run ${r}/${config.runs} ${tr}: ${t.messages} messages at ${t.rate} msg/s, 1 subscriber`);
          const res = await transportRun(ctx, tr, { channel: `bench-tr-${tag}-${r}-${tr}`, count: t.messages, rate: t.rate });
          res.run = r;
          res.loadavg = loadavg();
          results.transports.push(res);
          const l = res.latencyMs;
          const ps = res.transportStats;
          note(
            `${tr}: p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  max ${l.max} ms  (from API's time p50/p99 ${res.fromServerTimeMs.p50}/${res.fromServerTimeMs.p99} ms)  received ${res.received}/${res.accepted}  gaps ${res.gaps}  dups ${res.duplicates}  ` +
              `sent ${res.achievedSendRate}/s accepted ${res.acceptedRate}/s  publish answer p50/p99 ${res.publishAnswerMs.p50}/${res.publishAnswerMs.p99} ms  sender lag max ${res.schedulerLagMs.max} ms  in-flight max ${res.maxInflight}` +
              (tr === 'poll' ? `  polls ${ps.polls} (${ps.messagesPerAnswer.mean} msgs/answer, round trip p50 ${ps.pollRoundTripMs.p50} ms, empty poll p50 ${ps.emptyPollMs.p50} ms)` : '') +
              `  cores busy ${res.coresBusy}  CPU-s/1k ${['api', 'gateway', 'worker', 'redis', 'postgres', 'bench'].map((p) => `${p} ${res.cpu[p]?.per1k}`).join(' ')}  load ${res.loadavg.join(' ')}`,
          );
        }
      }
    }
    if (opts.only.has('webhooks')) {
      const { webhookBench } = await import('../bench/webhooks.mjs');
      results.webhooks = await webhookBench({ testing, lib, env: { ...PRODUCTION_TIMINGS, HERALD_LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, REDIS_URL: redisUrl }, runs: config.runs, step, note });
    }
  } finally {
    // A server that died during the runs is an anomaly; look before stopping them all.
    exited = [stack.api, ...stack.gateways, ...stack.workers].filter((a) => a.proc.exitCode !== null || a.proc.signalCode !== null);
    publisher?.close();
    transportPublisher?.close();
    await stopAll();
    await dropPrefix(redisUrl, stack.env.HERALD_REDIS_PREFIX).catch((e) => warn(`could not delete the bench's Redis keys: ${e.message}`));
  }

  const report = {
    date: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_'))),
    config,
    machine,
    software,
    stack: { processes: 'api + 1 gateway + 1 worker (startStack, real processes)', timings: PRODUCTION_TIMINGS, logLevel: 'warn', database: 'herald_bench', plan: 'demo' },
    idleCpuSecondsPerSecond: idle,
    unexpectedExits: exited.map((a) => ({ name: a.name, code: a.proc.exitCode, signal: a.proc.signalCode, output: a.output().slice(-2000) })),
    runs: results,
  };
  // Scenarios not run this time (--only): carried over from the existing report, with their own date.
  report.scenarioMeta = Object.fromEntries(config.scenarios.map((s) => [s, { date: report.date, gitCommit: software.gitCommit, loadavgAtStart: machine.loadavgAtStart }]));
  const skipped = SCENARIOS.filter((s) => !opts.only.has(s));
  if (skipped.length) {
    let prev;
    try {
      prev = JSON.parse(readFileSync(join(ROOT, 'docs/benchmarks.json'), 'utf8'));
    } catch {
      prev = undefined;
    }
    for (const s of skipped) {
      if (!prev?.runs?.[s]?.length) continue;
      report.runs[s] = prev.runs[s];
      report.config[s] = prev.config?.[s];
      report.scenarioMeta[s] = { ...(prev.scenarioMeta?.[s] ?? { date: prev.date, gitCommit: prev.software?.gitCommit, loadavgAtStart: prev.machine?.loadavgAtStart }), carriedOver: true };
    }
    if (!Object.values(report.scenarioMeta).some((m) => m.carriedOver)) note(`no earlier results to carry over for ${skipped.join(', ')}`);
  }
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
