#!/usr/bin/env node
// `npm run bench`: Herald against its peers on this machine, in one run (issue 8). Starts Herald (API +
// 2 gateways on separate ports + 1 worker, real processes, database herald_bench, a Redis prefix of its
// own) and each peer in turn, drives them with the same load generator over 127.0.0.1 and writes
// docs/benchmarks.md (medians, Herald ÷ peer ratios, targets) and docs/benchmarks.json (every run).
//
// Peers (bench/peers/): raw `ws` (one Node process, each message framed once), Nchan (Debian nginx +
// libnginx-mod-nchan, installed with apt-get when missing, 2 workers, its own prefix and nginx.conf),
// Socket.IO 4 + @socket.io/redis-adapter (2 processes), and Nchan+Redis (the same nginx storing every
// message in the bench's Redis: the durable peer for S3 and S4). A peer that cannot start is skipped and the
// report says why. Subscribers run in forked processes (bench/load/, ≤ 5,000 connections each).
//
// Scenarios (--only takes a comma-separated list; default all but webhooks and cluster):
//   s1   idle WebSocket subscribers on one channel: server memory per connection       (all targets)
//   s2   broadcast to them: 100-byte messages over HTTP, closed loop; deliveries per server CPU-second (all targets)
//   s3   latency: M subscribers, publishes at a fixed rate open loop; p50/p99/p99.9      (all targets)
//   s4   durable pipeline: C channels × 1 subscriber, stepped REST rate, single and batch (Herald; Nchan+Redis single)
//   s5   reconnect storm: gateway 1 SIGKILLed under N clients, resume on gateway 2       (Herald)
//   s6   s1–s3 over SSE and long-polling                                              (Herald, Nchan)
//   mqtt MQTT 3.1.1 QoS 0 subscribers: memory per connection, broadcast deliveries per CPU-second and
//        publish→deliver p99 (S1–S3's method), Herald's gateways against Debian's mosquitto (installed with
//        apt-get when missing; its own config on a free port, never the machine's broker on 1883)
//   iso  tenant isolation: tenant B's p99 alone and while tenant A floods at 10× its limit (Herald)
//   logs what the log level costs: single publishes at a fixed rate, default level vs debug (Herald)
//   webhooks  webhook deliveries/s and scheduled-publish punctuality (its own stack; only when named)
//   cluster   Herald on one Redis, then on a 3-master Redis Cluster with a replica each (redis-server, as
//        the tests start it): S3's latency and S4's durable steps on each, CPU per message with Redis
//        masters and replicas apart, cluster ÷ one Redis. Only when named: it adds 5–6 minutes
//
//   npm run bench                       everything (build only if dist is missing)
//   npm run bench -- --only s1,s3       a subset; other scenarios are carried over from docs/benchmarks.json
//   npm run bench -- --build            build first anyway
//   npm run bench -- --no-write         print the results, leave docs/ alone
//   npm run bench -- --report-only      rewrite docs/benchmarks.md from docs/benchmarks.json (and bench/findings.md)
//   npm run bench -- --help             this text
//
// Env (defaults; BENCH_SCALE multiplies every subscriber count, channel count and delivery total, e.g.
// BENCH_SCALE=0.1 for a quick run):
//   BENCH_SCALE (1)  BENCH_RUNS (3)  BENCH_PEERS (raw-ws,nchan,socketio,nchan-redis)
//   BENCH_S1_SUBSCRIBERS (10000)  BENCH_S2_DELIVERIES (1500000)  BENCH_S2_WINDOW (4: closed loop, messages in flight)  BENCH_BYTES (100)
//   BENCH_S3_SUBSCRIBERS (2000)  BENCH_S3_RATE (20 msg/s)  BENCH_S3_SECONDS (20)
//   BENCH_POLL_SUBSCRIBERS (1000: long-poll N in s6, the same for Herald and Nchan; SSE uses the s1/s3 N)
//   BENCH_MQTT_SUBSCRIBERS (10000)  BENCH_MQTT_DELIVERIES (1500000)  BENCH_MQTT_S3_SUBSCRIBERS (2000; rate and time: S3's)
//   BENCH_S4_CHANNELS (1000)  BENCH_S4_RATES (100,250,500,1000,2000,3000,5000,7500,10000)
//   BENCH_S4_BATCH_RATES (1000,2500,5000,10000,15000,20000)  BENCH_S4_BATCH (100 items)  BENCH_S4_SECONDS (5)
//   BENCH_S4_P99_MS (50)  BENCH_S5_CLIENTS (10000)  BENCH_S5_CHANNELS (100)  BENCH_S5_RATE (100 msg/s)
//   BENCH_ISO_PLAN (free: tenant A's plan)  BENCH_ISO_RATE (20 msg/s for B)  BENCH_ISO_SUBSCRIBERS (200)
//   BENCH_ISO_SECONDS (10)  BENCH_LOGS_CHANNELS (100)  BENCH_LOGS_RATE (1000 publishes/s)  BENCH_LOGS_SECONDS (10)
//   BENCH_CLUSTER_MASTERS (3: the cluster scenario's masters, one replica each; S3/S4 sizes are theirs)
//   BENCH_START_TIMEOUT_MS (60000: per Herald process)  DATABASE_URL (server; database herald_bench)
//   BENCH_SHARED_REDIS=1: use REDIS_URL instead of a redis-server of the bench's own (started by default,
//   so that Redis CPU and memory are Herald's and Socket.IO's alone)
// bench/findings.md, when present, is copied verbatim into docs/benchmarks.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import os from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ROOT, run, buildReason } from './lib/prepare.mjs';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, ensureDatabase, ensureServices, migrate, redisCommands, withDatabase } from './lib/services.mjs';
import { Fatal, note, runMain, step, warn } from './lib/ui.mjs';

const SCENARIOS = ['s1', 's2', 's3', 's4', 's5', 's6', 'mqtt', 'iso', 'logs', 'webhooks', 'cluster'];
/** Each of these adds minutes and is run only when named. */
const ON_REQUEST = ['webhooks', 'cluster'];
const DEFAULT_SCENARIOS = SCENARIOS.filter((s) => !ON_REQUEST.includes(s));
const PEERS = ['raw-ws', 'nchan', 'socketio', 'nchan-redis'];

const numEnv = (name, def, { min = 0, int = true } = {}) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) throw new Fatal(`${name} must be ${int ? 'an integer' : 'a number'} ≥ ${min} (got "${raw}")`);
  return n;
};
const listEnv = (name, def) => (process.env[name] || def).split(',').map((x) => x.trim()).filter(Boolean);
const ratesEnv = (name, def) => listEnv(name, def).map((x) => {
  const n = Number(x);
  if (!(n > 0)) throw new Fatal(`${name}: "${x}" is not a positive rate`);
  return n;
});

function parseArgs(argv) {
  const opts = { build: false, write: true, reportOnly: false, only: new Set(DEFAULT_SCENARIOS) };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--build') opts.build = true;
    else if (a === '--no-write') opts.write = false;
    else if (a === '--report-only') opts.reportOnly = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const list = a === '--only' ? argv[++k] : a.slice('--only='.length);
      const names = (list ?? '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
      const bad = names.filter((n) => !SCENARIOS.includes(n));
      if (!names.length || bad.length) throw new Fatal(`--only takes a comma-separated list of ${SCENARIOS.join(', ')} (got "${list ?? ''}")`);
      opts.only = new Set(names);
    } else if (a === '-h' || a === '--help') {
      const lines = readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1);
      console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else throw new Fatal(`unknown option ${a} (see --help)`);
  }
  return opts;
}

function readConfig(opts) {
  const scale = numEnv('BENCH_SCALE', 1, { int: false });
  if (!(scale > 0)) throw new Fatal('BENCH_SCALE must be > 0');
  const sc = (name, def, min = 1) => Math.max(min, Math.round(numEnv(name, def) * scale));
  const peers = listEnv('BENCH_PEERS', PEERS.join(','));
  const bad = peers.filter((p) => !PEERS.includes(p));
  if (bad.length) throw new Fatal(`BENCH_PEERS takes ${PEERS.join(', ')} (got ${bad.join(', ')})`);
  return {
    scale,
    runs: numEnv('BENCH_RUNS', 3, { min: 1 }),
    peers,
    bytes: numEnv('BENCH_BYTES', 100, { min: 40 }),
    s1: { subscribers: sc('BENCH_S1_SUBSCRIBERS', 10_000, 10) },
    s2: { deliveries: sc('BENCH_S2_DELIVERIES', 1_500_000, 1000), window: numEnv('BENCH_S2_WINDOW', 4, { min: 1 }) },
    s3: { subscribers: sc('BENCH_S3_SUBSCRIBERS', 2000, 10), rate: numEnv('BENCH_S3_RATE', 20, { min: 1, int: false }), seconds: numEnv('BENCH_S3_SECONDS', 20, { min: 1, int: false }) },
    s6: { pollSubscribers: sc('BENCH_POLL_SUBSCRIBERS', 1000, 10) },
    mqtt: { subscribers: sc('BENCH_MQTT_SUBSCRIBERS', 10_000, 10), deliveries: sc('BENCH_MQTT_DELIVERIES', 1_500_000, 1000), latencySubscribers: sc('BENCH_MQTT_S3_SUBSCRIBERS', 2000, 10) },
    s4: {
      channels: sc('BENCH_S4_CHANNELS', 1000, 10),
      rates: ratesEnv('BENCH_S4_RATES', '100,250,500,1000,2000,3000,5000,7500,10000'),
      batchRates: ratesEnv('BENCH_S4_BATCH_RATES', '1000,2500,5000,10000,15000,20000'),
      batchSize: numEnv('BENCH_S4_BATCH', 100, { min: 1 }),
      seconds: numEnv('BENCH_S4_SECONDS', 5, { min: 1, int: false }),
      p99LimitMs: numEnv('BENCH_S4_P99_MS', 50, { min: 1, int: false }),
    },
    s5: { clients: sc('BENCH_S5_CLIENTS', 10_000, 10), channels: Math.max(1, numEnv('BENCH_S5_CHANNELS', 100, { min: 1 })), rate: numEnv('BENCH_S5_RATE', 100, { min: 1, int: false }) },
    iso: {
      planA: process.env.BENCH_ISO_PLAN || 'free',
      rateB: numEnv('BENCH_ISO_RATE', 20, { min: 1, int: false }),
      subscribersB: sc('BENCH_ISO_SUBSCRIBERS', 200, 1),
      seconds: numEnv('BENCH_ISO_SECONDS', 10, { min: 1, int: false }),
    },
    cluster: { masters: numEnv('BENCH_CLUSTER_MASTERS', 3, { min: 3 }) },
    logs: { channels: sc('BENCH_LOGS_CHANNELS', 100, 1), rate: numEnv('BENCH_LOGS_RATE', 1000, { min: 1, int: false }), seconds: numEnv('BENCH_LOGS_SECONDS', 10, { min: 1, int: false }) },
    scenarios: SCENARIOS.filter((s) => opts.only.has(s)),
  };
}

const REQUIRED_DIST = ['dist/apps/api/src/main.js', 'dist/apps/gateway/src/main.js', 'dist/apps/worker/src/main.js', 'dist/libs/testing/src/index.js'];

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Raises this process's soft open-file limit to the hard one (children inherit it) when `prlimit` exists. */
function raiseFileLimit() {
  const hard = sh('sh', ['-c', 'ulimit -Hn']);
  const soft = sh('sh', ['-c', 'ulimit -Sn']);
  if (hard && soft && hard !== soft && hard !== 'unlimited') sh('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`]);
  return { soft: sh('sh', ['-c', 'ulimit -Sn']), hard };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.reportOnly) return reportOnly();
  const config = readConfig(opts);
  const started = Date.now();
  const fileLimit = raiseFileLimit();
  if (Number(fileLimit.soft) < 12_000) warn(`open-file limit ${fileLimit.soft} (hard ${fileLimit.hard}): 10,000-connection scenarios may fail to connect`);

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
  const { runAll } = await import('../bench/run.mjs');
  const { writeReport, printSummary, aggregate } = await import('../bench/report.mjs');
  const testing = await import(pathToFileURL(join(ROOT, 'dist/libs/testing/src/index.js')).href);
  const { default: pg } = await import('pg');
  const { nchanVersion } = await import('../bench/peers/nchan.mjs');
  const { mosquittoVersion } = await import('../bench/peers/mosquitto.mjs');

  // 2. Facts about the machine and the software.
  const machine = lib.machineInfo();
  const [info] = await redisCommands(redisUrl, [['INFO', 'server']]);
  const pgc = new pg.Client({ connectionString: databaseUrl });
  await pgc.connect();
  const require = createRequire(join(ROOT, 'package.json'));
  const pkgVersion = (name) => {
    try {
      return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
    } catch {
      return null;
    }
  };
  const software = {
    node: process.version,
    redis: typeof info === 'string' ? info.match(/redis_version:(\S+)/)?.[1] : null,
    postgres: (await pgc.query('SHOW server_version')).rows[0].server_version,
    ws: pkgVersion('ws'),
    socketIo: pkgVersion('socket.io'),
    socketIoRedisAdapter: pkgVersion('@socket.io/redis-adapter'),
    socketIoClient: pkgVersion('socket.io-client'),
    ...nchanVersion(),
    ...mosquittoVersion(),
    mqttPacket: pkgVersion('mqtt-packet'),
    gitCommit: sh('git', ['rev-parse', '--short', 'HEAD']),
    uncommittedServerFiles: (sh('git', ['status', '--porcelain', '--', 'apps', 'libs']) ?? '').split('\n').filter(Boolean).length,
  };
  // Herald and Socket.IO get a Redis of the bench's own, so that its CPU is theirs alone; without
  // redis-server, the machine's (REDIS_URL) is used and its figures are upper bounds.
  const { startRedis, redisServerAvailable } = await import('../bench/peers/redis.mjs');
  let ownRedis;
  if (process.env.BENCH_SHARED_REDIS !== '1' && redisServerAvailable()) {
    ownRedis = await startRedis();
    note(`bench Redis ${ownRedis.url} (pid ${ownRedis.pid})`);
  } else warn(`using the shared Redis ${redisUrl}: its CPU and memory include whatever else uses it`);
  const redisPid = ownRedis?.pid ?? lib.findRedisPid(Number(new URL(redisUrl).port || 6379));
  if (!redisPid) warn('redis-server pid not found (pgrep -x redis-server): its CPU and memory are not counted');

  const ctx = { config, testing, lib, pg: pgc, database: 'herald_bench', redisUrl: ownRedis?.url ?? redisUrl, databaseUrl, redisPid, step, note, warn, tag: Date.now().toString(36) };
  let outcome;
  try {
    outcome = await runAll(ctx);
  } finally {
    await pgc.end().catch(() => {});
    await ownRedis?.stop();
  }
  software.redisForBench = ownRedis ? 'a redis-server of the bench\'s own (no persistence)' : `the shared Redis at ${redisUrl}`;

  const report = {
    date: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_'))),
    config,
    machine: { ...machine, loadavgAtEnd: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100), openFileLimit: fileLimit, ephemeralPorts: readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/, '–') },
    software,
    targets: outcome.targets,
    skipped: outcome.skipped,
    errors: outcome.errors,
    results: outcome.results,
  };
  // Scenarios not run this time (--only) are carried over from the existing report, marked as such.
  report.scenarioMeta = Object.fromEntries(config.scenarios.map((s) => [s, { date: report.date, gitCommit: software.gitCommit }]));
  const notRun = SCENARIOS.filter((s) => !opts.only.has(s));
  let prev;
  try {
    prev = JSON.parse(readFileSync(join(ROOT, 'docs/benchmarks.json'), 'utf8'));
  } catch {
    prev = undefined;
  }
  for (const s of notRun) {
    const r = prev?.results?.[s];
    if (!r || !Object.keys(r).length) continue;
    report.results[s] = r;
    report.scenarioMeta[s] = { ...(prev.scenarioMeta?.[s] ?? { date: prev.date, gitCommit: prev.software?.gitCommit }), carriedOver: true };
  }
  // S1–S3 hold S6's SSE/long-poll entries too: entries (target/transport) not measured now are carried over.
  for (const s of ['s1', 's2', 's3']) {
    if (!opts.only.has(s) || !prev?.results?.[s]) continue;
    const kept = Object.keys(prev.results[s]).filter((k) => !report.results[s][k]);
    for (const k of kept) report.results[s][k] = prev.results[s][k];
    if (kept.length) report.scenarioMeta[`${s} (${kept.join(', ')})`] = { ...(prev.scenarioMeta?.[s] ?? { date: prev.date, gitCommit: prev.software?.gitCommit }), carriedOver: true };
  }
  const findings = join(ROOT, 'bench/findings.md');
  report.findings = existsSync(findings) ? readFileSync(findings, 'utf8') : null;
  report.summary = aggregate(report);
  printSummary(report);
  if (opts.write) {
    const { findings: text, ...json } = report;
    writeFileSync(join(ROOT, 'docs/benchmarks.json'), `${JSON.stringify(json, null, 1)}\n`);
    writeFileSync(join(ROOT, 'docs/benchmarks.md'), writeReport({ ...report, findings: text }));
    step('Wrote docs/benchmarks.md and docs/benchmarks.json');
  }
  return outcome.errors.length ? 1 : 0;
}

/** --report-only: the markdown again from the JSON of the last run, with the current bench/findings.md. */
async function reportOnly() {
  const { writeReport, printSummary, aggregate } = await import('../bench/report.mjs');
  const report = JSON.parse(readFileSync(join(ROOT, 'docs/benchmarks.json'), 'utf8'));
  const findings = join(ROOT, 'bench/findings.md');
  report.findings = existsSync(findings) ? readFileSync(findings, 'utf8') : null;
  report.summary = aggregate(report);
  printSummary(report);
  writeFileSync(join(ROOT, 'docs/benchmarks.md'), writeReport(report));
  step('Wrote docs/benchmarks.md from docs/benchmarks.json');
  return 0;
}

runMain(main);
