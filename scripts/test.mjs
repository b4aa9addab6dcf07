#!/usr/bin/env node
// `npm test`: install if needed, build if stale, make sure Postgres and Redis are up, prepare the herald_test
// database, then run every compiled spec/test file with the Node test runner.
//
//   npm test                     all unit, integration and e2e files
//   npm test -- e2e/api bus      only files whose path contains "e2e/api" or "bus"
//   npm test -- --build          build even when nothing changed since the last build
//   npm test -- --no-build       skip the build (also --no-install)
//   npm test -- --redis-cluster  every suite on a throwaway 3-master/3-replica Redis Cluster started from
//                                Debian's redis-server (outside CI; CI runs the cluster files of test/cluster)
//
// Env: HERALD_TEST_TIMEOUT_MS (per test, default 120000), HERALD_TEST_CONCURRENCY (files at once,
// default 2), HERALD_TEST_DATABASE_URL (default: DATABASE_URL's server, database herald_test),
// REDIS_CLUSTER_NODES (run every suite on that Redis Cluster instead of REDIS_URL's Redis),
// HERALD_TEST_START_TIMEOUT_MS (how long an app of a test stack may take to start, default 30000).
// CI=true also starts local Postgres/Redis when they are down.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { ROOT, ensureBuild, ensureDeps } from './lib/prepare.mjs';
import { startLocalCluster } from './lib/redis-cluster.mjs';
import {
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  ensureDatabase,
  ensureServices,
  migrate,
  withDatabase,
} from './lib/services.mjs';
import { Fatal, note, runMain, step, warn } from './lib/ui.mjs';

const SUITES = [
  { dir: 'dist/apps', suffix: '.spec.js' },
  { dir: 'dist/libs', suffix: '.spec.js' },
  { dir: 'dist/test/integration', suffix: '.test.js' },
  { dir: 'dist/test/cluster', suffix: '.test.js' },
  { dir: 'dist/test/e2e', suffix: '.test.js' },
  { dir: 'dist/test/sdk', suffix: '.test.js' },
  { dir: 'dist/test/dashboard', suffix: '.test.js' },
  { dir: 'dist/test/pusher', suffix: '.test.js' },
  { dir: 'dist/test/mqtt', suffix: '.test.js' },
  { dir: 'dist/test/push', suffix: '.test.js' },
  // The scripts' own tests run from source: scripts are plain .mjs, not compiled.
  { dir: 'scripts', suffix: '.test.mjs', source: true },
];

function walk(dir, suffix, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') walk(path, suffix, out);
    } else if (e.name.endsWith(suffix)) {
      out.push(path);
    }
  }
  return out;
}

/** dist/x/y.spec.js → x/y.spec.ts */
const sourceOf = (rel) => rel.slice('dist/'.length).replace(/\.js$/, '.ts');

function discover(filters) {
  const found = [];
  for (const { dir, suffix, source } of SUITES) {
    for (const abs of walk(join(ROOT, dir), suffix).sort()) {
      const rel = relative(ROOT, abs).split(sep).join('/');
      // dist is never cleaned: a compiled test whose source was deleted or renamed must not run.
      if (!source && !existsSync(join(ROOT, sourceOf(rel)))) {
        warn(`skipping ${rel}: ${sourceOf(rel)} no longer exists`);
        continue;
      }
      found.push(rel);
    }
  }
  if (!filters.length) return found;
  return found.filter((rel) => filters.some((f) => rel.includes(f) || (rel.startsWith('dist/') && sourceOf(rel).includes(f))));
}

/** Counts from the TAP summary; falls back to counting result lines when the runner died early. */
export function countResults(tap) {
  const summary = (name) => {
    const m = tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'));
    return m ? Number(m[1]) : null;
  };
  const pass = summary('pass');
  const fail = summary('fail');
  if (pass !== null && fail !== null) {
    return { passed: pass, failed: fail + (summary('cancelled') ?? 0), skipped: (summary('skipped') ?? 0) + (summary('todo') ?? 0) };
  }
  const results = tap.split('\n').filter((l) => /^\s*(not )?ok \d+/.test(l) && !/# (SKIP|TODO)/i.test(l));
  const failed = results.filter((l) => /^\s*not ok/.test(l)).length;
  return { passed: results.length - failed, failed, skipped: 0 };
}

function parseArgs(argv) {
  const opts = { install: true, build: true, forceBuild: false, redisCluster: false, filters: [] };
  for (const a of argv) {
    if (a === '--no-install') opts.install = false;
    else if (a === '--no-build') opts.build = false;
    else if (a === '--build') opts.forceBuild = true;
    else if (a === '--redis-cluster') opts.redisCluster = true;
    else if (a === '-h' || a === '--help') {
      console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1).filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else if (a.startsWith('--')) throw new Fatal(`unknown option ${a} (filters are plain strings; see --help)`);
    else opts.filters.push(a);
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const started = Date.now();

  ensureDeps({ skip: !opts.install });
  if (opts.forceBuild && !opts.build) throw new Fatal('--build and --no-build contradict each other');
  ensureBuild({ skip: !opts.build, force: opts.forceBuild });

  const baseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  const databaseUrl = process.env.HERALD_TEST_DATABASE_URL || withDatabase(baseUrl, 'herald_test');
  // A cluster of the run's own (--redis-cluster) or the one REDIS_CLUSTER_NODES names: the apps and the
  // tests' own clients follow REDIS_CLUSTER_NODES (tests that start a Redis of their own keep it).
  const cluster = opts.redisCluster ? await startCluster() : undefined;
  const redisClusterNodes = cluster?.nodes ?? process.env.REDIS_CLUSTER_NODES;
  try {
    return await run(opts, { ci, started, databaseUrl, redisUrl, redisClusterNodes });
  } finally {
    await cluster?.stop();
  }
}

/** The cluster `npm start -- --redis-cluster` and the test harness start, on free ports, node timeout 2 s. */
async function startCluster() {
  step('Starting a 3-master/3-replica Redis Cluster for this run');
  const cluster = await startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2_000 });
  note(`REDIS_CLUSTER_NODES → ${cluster.nodes}`);
  return cluster;
}

async function run(opts, { ci, started, databaseUrl, redisUrl, redisClusterNodes }) {
  await ensureServices({ databaseUrl, redisUrl, redisClusterNodes, autoStart: ci });
  await ensureDatabase(databaseUrl);
  migrate(databaseUrl);

  const files = discover(opts.filters);
  if (!files.length) {
    if (opts.filters.length) throw new Fatal(`no test file matches ${opts.filters.map((f) => `"${f}"`).join(' or ')}`);
    warn(`no test files yet (looked for ${SUITES.map((s) => `${s.dir}/**/*${s.suffix}`).join(', ')})`);
    console.log('0 passed, 0 failed');
    return 0;
  }

  const timeout = Number(process.env.HERALD_TEST_TIMEOUT_MS || 120_000);
  const concurrency = Number(process.env.HERALD_TEST_CONCURRENCY || 2);
  const tmp = mkdtempSync(join(tmpdir(), 'herald-test-'));
  const tapFile = join(tmp, 'results.tap');
  const args = [
    '--enable-source-maps',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeout}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ];
  step(`Running ${files.length} test file${files.length === 1 ? '' : 's'} (concurrency ${concurrency}, timeout ${timeout} ms)`);
  note(`DATABASE_URL → ${databaseUrl.replace(/\/\/[^@/]*@/, '//')}`);

  const env = {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    ...(redisClusterNodes ? { REDIS_CLUSTER_NODES: redisClusterNodes } : {}),
    HERALD_LOG_LEVEL: process.env.HERALD_LOG_LEVEL || 'warn',
  };
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'inherit' });
  // Ctrl-C reaches the runner too (same process group); stay alive to report what it reports.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  process.off('SIGINT', ignore);

  let tap = '';
  try {
    tap = readFileSync(tapFile, 'utf8');
  } catch {
    warn('the test runner wrote no TAP results');
  }
  rmSync(tmp, { recursive: true, force: true });
  const { passed, failed, skipped } = countResults(tap);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const exit = code ?? 1;
  if (skipped) note(`${skipped} skipped or todo`);
  note(`${seconds} s in total${signal ? `; runner stopped by ${signal}` : ''}`);
  console.log(`${passed} passed, ${failed} failed`);
  return exit;
}

runMain(main);
