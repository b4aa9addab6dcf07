#!/usr/bin/env node
// `npm start`: the whole service in the foreground on a machine with Postgres and Redis (or Docker).
// Installs and builds when stale, creates the database, applies migrations, seeds the demo app,
// starts api + gateway(s) + worker with compact prefixed logs and prints where everything is.
//
//   npm start
//   npm start -- --no-install --no-build --gateways 3
//   npm start -- --redis-cluster
//
// Options: --no-install (never run npm ci), --no-build (never run npm run build),
//          --gateways N (N gateway processes on GATEWAY_PORT, +10, +20, …; default 1),
//          --redis-cluster (start a local 3-master/3-replica Redis Cluster from redis-server first, on
//          HERALD_REDIS_CLUSTER_PORT … +5, default 7000, 0 for any free ports, and run every app on it;
//          stopped, and its data deleted, with everything else).
// Env: DATABASE_URL, REDIS_URL (or REDIS_CLUSTER_NODES=host:port,…: a Redis Cluster, REDIS_URL then ignored),
//      API_PORT, GATEWAY_PORT, WORKER_PORT, MQTT_PORT (1883; gateway i on MQTT_PORT + 10·i; `off`; a taken
//      one is skipped with a warning), HERALD_HOST,
//      HERALD_PUBLIC_API_URL, HERALD_PUBLIC_GATEWAY_URL, HERALD_DEMO_* (passed to the seed and apps),
//      HERALD_START_TIMEOUT_MS (how long each /health may take, default 60000).
// Ctrl-C stops every process gracefully (SIGTERM, SIGKILL after 10 s); so does SIGTERM to this
// script, or to the npm process alone (this script then sees its parent go). The apps watch this script
// through an IPC channel and stop on their own if it dies, even by SIGKILL: no orphan keeps a port.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, ensureBuild, ensureDeps } from './lib/prepare.mjs';
import { consoleSnippet } from './lib/console-snippet.mjs';
import { formatLine, pipeLogs } from './lib/logs.mjs';
import {
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  ensureDatabase,
  ensureServices,
  migrate,
} from './lib/services.mjs';
import { Fatal, color, note, runMain, step, warn } from './lib/ui.mjs';

const ENTRIES = {
  seed: 'dist/apps/api/src/seed/main.js',
  api: 'dist/apps/api/src/main.js',
  gateway: 'dist/apps/gateway/src/main.js',
  worker: 'dist/apps/worker/src/main.js',
};
const STOP_GRACE_MS = 10_000;
/** How often this script checks that whoever started it (npm's shell, a supervisor) is still there. */
const PARENT_CHECK_MS = 500;
// Read first thing: a parent that dies while this script migrates or seeds must still be noticed.
const PARENT_PID = process.ppid;

function parseArgs(argv) {
  const opts = { install: true, build: true, gateways: 1, redisCluster: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-install') opts.install = false;
    else if (a === '--no-build') opts.build = false;
    else if (a === '--redis-cluster') opts.redisCluster = true;
    else if (a === '--gateways' || a.startsWith('--gateways=')) {
      const raw = a.includes('=') ? a.split('=')[1] : argv[++i];
      opts.gateways = Number(raw);
      if (!Number.isInteger(opts.gateways) || opts.gateways < 1 || opts.gateways > 50) throw new Fatal(`--gateways needs a whole number from 1 to 50, got ${raw}`);
    } else if (a === '-h' || a === '--help') {
      console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1).filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else throw new Fatal(`unknown option ${a} (see npm start -- --help)`);
  }
  return opts;
}

const port = (name, def) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isInteger(v) || v < 1 || v > 65535) throw new Fatal(`${name} must be a port number, got ${process.env[name]}`);
  return v;
};

/** Every entry point must exist before anything runs: one message lists all that are missing. */
function requireEntries() {
  const missing = Object.entries(ENTRIES).filter(([, file]) => !existsSync(join(ROOT, file)));
  if (!missing.length) return;
  const lines = missing.map(([name, file]) => {
    const src = file.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    const why = existsSync(join(ROOT, src)) ? `${src} exists: run \`npm run build\` (or drop --no-build) and look for compile errors` : `${src} has not been written yet`;
    return `  ${name.padEnd(8)} ${file} is missing (${why})`;
  });
  throw new Fatal(`cannot start: ${missing.length === 1 ? 'an entry point is' : 'entry points are'} missing\n${lines.join('\n')}`);
}

function portFree(host, p) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: p });
    s.setTimeout(1000, () => (s.destroy(), resolve(true)));
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

function httpOk(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode >= 200 && res.statusCode < 300);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
  });
}

/** Runs the seed; its stdout carries exactly one JSON line with the demo credentials. */
async function seed(env) {
  step(`Seeding the demo account and app: node ${ENTRIES.seed}`);
  const child = spawn(process.execPath, ['--enable-source-maps', ENTRIES.seed], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (l) => console.error(`${color.dim('seed │')} ${formatLine(l, 'seed')}`));
  const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? s)));
  let demo;
  for (const line of out.split('\n')) {
    try {
      const o = JSON.parse(line);
      if (o && typeof o === 'object' && 'appId' in o) demo = o;
      else if (line.trim()) console.log(`${color.dim('seed │')} ${formatLine(line, 'seed')}`);
    } catch {
      if (line.trim()) console.log(`${color.dim('seed │')} ${line}`);
    }
  }
  if (code !== 0) throw new Fatal(`the seed failed (${typeof code === 'number' ? `exit code ${code}` : code})`);
  if (!demo) throw new Fatal('the seed printed no JSON line with appId');
  return demo;
}

/** Starts and supervises the children; any unexpected exit stops all of them. */
class Supervisor {
  children = [];
  stopping = false;

  /** `afterStop`: run once every app has exited, before this process exits (the local Redis Cluster's stop). */
  constructor(width, { afterStop } = {}) {
    this.width = width;
    this.afterStop = afterStop;
    process.on('SIGINT', () => this.onSignal('SIGINT'));
    process.on('SIGTERM', () => this.onSignal('SIGTERM'));
    this.watchParent();
    // Last resort when this process exits without having stopped them (e.g. an uncaught error).
    process.on('exit', () => {
      for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
  }

  /**
   * SIGTERM to npm alone reaches its `sh -c`, which dies without passing it on: this script is then
   * re-parented. Treated as that SIGTERM, so a supervisor stopping npm stops everything.
   */
  watchParent() {
    const timer = setInterval(() => {
      if (process.ppid === PARENT_PID) return;
      clearInterval(timer);
      // Already stopping (e.g. Ctrl-C, after which npm's shell may go first): let the drain finish.
      if (!this.stopping) this.onSignal(`parent process ${PARENT_PID} exited`);
    }, PARENT_CHECK_MS);
    timer.unref();
  }

  start(name, file, env) {
    // A process group of its own: Ctrl-C then reaches only this supervisor, which sends one SIGTERM,
    // instead of the terminal signalling every app at once (a second signal cuts a graceful drain).
    // The IPC channel is the apps' parent-death check (exitWithSupervisor in libs/config): the kernel
    // closes it when this process dies, however it dies, and each app then stops as on SIGTERM.
    const child = spawn(process.execPath, ['--enable-source-maps', file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
    child.serviceName = name;
    pipeLogs(child, name, this.width);
    child.once('exit', (code, signal) => {
      if (this.stopping) {
        note(`${name} stopped${code ? ` (exit code ${code})` : signal && signal !== 'SIGTERM' ? ` (${signal})` : ''}`);
      } else {
        console.error(color.red(`✖ ${name} exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}); stopping everything`));
        void this.stop(1);
      }
    });
    child.once('error', (e) => {
      if (!this.stopping) {
        console.error(color.red(`✖ ${name} could not start: ${e.message}`));
        void this.stop(1);
      }
    });
    this.children.push(child);
    return child;
  }

  onSignal(signal) {
    if (this.stopping) {
      warn(`${signal} again: killing everything now`);
      for (const c of this.alive()) c.kill('SIGKILL');
      return;
    }
    console.log(`\n${color.bold(`${signal}: stopping`)} ${this.alive().map((c) => c.serviceName).join(', ') || '(nothing running)'}`);
    void this.stop(0);
  }

  alive() {
    return this.children.filter((c) => c.exitCode === null && c.signalCode === null);
  }

  async stop(code) {
    if (this.stopping) return;
    this.stopping = true;
    const running = this.alive();
    const exited = running.map((c) => new Promise((r) => c.once('exit', r)));
    for (const c of running) c.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.alive().length) code ||= 1;
      for (const c of this.alive()) {
        warn(`${c.serviceName} still running after ${STOP_GRACE_MS / 1000} s: SIGKILL`);
        c.kill('SIGKILL');
      }
    }, STOP_GRACE_MS);
    await Promise.all(exited);
    clearTimeout(timer);
    await this.afterStop?.();
    process.exit(code);
  }

  async waitHealthy(child, url, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (!this.stopping && child.exitCode === null && child.signalCode === null) {
      if (await httpOk(url)) return;
      if (Date.now() > deadline) {
        console.error(color.red(`✖ ${child.serviceName} did not answer ${url} within ${timeoutMs / 1000} s; stopping everything`));
        await this.stop(1);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise(() => {}); // the exit handler is stopping everything
  }
}

/**
 * `--redis-cluster`: scripts/redis-cluster.mjs in a process of its own (detached, so Ctrl-C reaches only
 * this script, which stops the apps first: they drain against a live Redis), with an IPC channel that
 * stops the nodes whenever this script goes, SIGKILL included.
 */
async function startRedisCluster() {
  step('Starting a local Redis Cluster (3 masters, 3 replicas) from redis-server');
  const child = spawn(process.execPath, [join(ROOT, 'scripts/redis-cluster.mjs')], { cwd: ROOT, env: process.env, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], detached: true });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const reply = await Promise.race([
    new Promise((resolve) => child.once('message', resolve)),
    new Promise((resolve) => child.once('error', (e) => resolve({ type: 'failed', message: e.message }))),
    exited.then(() => ({ type: 'failed', message: 'scripts/redis-cluster.mjs exited before the cluster was ready' })),
  ]);
  if (reply.type !== 'ready') {
    const hint = /in use/.test(reply.message) ? ' (set HERALD_REDIS_CLUSTER_PORT to another base port, or 0 for any free ports)' : '';
    throw new Fatal(`could not start the local Redis Cluster: ${reply.message}${hint}`);
  }
  return {
    nodes: reply.nodes,
    pids: reply.pids,
    dir: reply.dir,
    /** Should this script die, the nodes stay up until these processes have drained and exited. */
    watch(pids) {
      child.send({ type: 'apps', pids }, () => undefined);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      note('redis cluster stopped');
    },
  };
}

const shq = (s) => `'${String(s).replaceAll("'", `'\\''`)}'`;

function banner({ demo, apiUrl, gatewayUrls, mqttUrls, redisCluster }) {
  const wsUrls = gatewayUrls.map((u) => `${u.replace(/^http/, 'ws').replace(/\/$/, '')}/ws?appkey=${encodeURIComponent(demo.subscribeKey ?? demo.commonKey)}`);
  // One story: the chat demo joins #lobby, the snippet subscribes to it, curl publishes to it as "curl".
  const channel = 'lobby';
  const body = JSON.stringify({ channel, message: { nick: 'curl', text: 'Hello from curl' } });
  const curl = `curl -sS -X POST ${apiUrl}/v1/publish -H ${shq(`Authorization: Bearer ${demo.secret ?? demo.commonKey}`)} -H 'Content-Type: application/json' -d ${shq(body)}`;
  const gw = gatewayUrls[0].replace(/\/$/, '');
  const snippet = consoleSnippet({ gateway: gw, appkey: demo.commonKey, channel });
  const rows = [
    ['Dashboard', `${apiUrl}/`],
    ['API', apiUrl],
    ['OpenAPI', `${apiUrl}/docs`],
    ...wsUrls.map((u, i) => [i ? '' : wsUrls.length > 1 ? 'Gateways (WS)' : 'Gateway (WS)', u]),
    ...mqttUrls.map((u, i) => [i ? '' : 'MQTT (user name = a key)', u]),
    ['MQTT over WebSocket', `${gw.replace(/^http/, 'ws')}/mqtt`],
    ['Chat demo', `${gw}/examples/chat/?appkey=${encodeURIComponent(demo.commonKey)}`],
    ...(redisCluster ? [['Redis Cluster', redisCluster]] : []),
    ['', ''],
    ['App id', demo.appId],
    ['Common key', demo.commonKey],
    ['Subscribe key', demo.subscribeKey],
    ['Secret', demo.secret],
    // null: production kept the account's password, printed only by the seed run that generated it.
    ['Admin login', `${demo.email} / ${demo.password ?? color.dim('(unchanged, not shown again)')}`],
  ];
  const label = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => (k || v ? `${color.bold(k.padEnd(label))}  ${v ?? color.dim('(none)')}` : ''));
  const visible = (s) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const width = Math.min(Math.max(...[...lines, curl, ...snippet].map(visible), 40), 120);
  // Rules above and below, no side borders: the snippets stay copy-pasteable.
  const rule = (title = '') => color.green(title ? `── ${title} ${'─'.repeat(Math.max(width - title.length - 4, 2))}` : '─'.repeat(width));
  console.log(
    ['', rule('Herald is running'), ...lines, rule('Publish with curl'), curl, rule("Subscribe from a browser console (on the chat demo's page)"), ...snippet, rule(), color.dim('Ctrl-C stops everything.'), ''].join('\n'),
  );
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.redisCluster && process.env.REDIS_CLUSTER_NODES?.trim()) {
    throw new Fatal('--redis-cluster starts a cluster of its own: unset REDIS_CLUSTER_NODES, or drop --redis-cluster to use that cluster');
  }
  process.env.DATABASE_URL ||= DEFAULT_DATABASE_URL;
  process.env.REDIS_URL ||= DEFAULT_REDIS_URL;
  const apiPort = port('API_PORT', 3000);
  const gatewayPort = port('GATEWAY_PORT', 3001);
  const workerPort = port('WORKER_PORT', 3002);
  // MQTT over TCP (issue 17): gateway i on MQTT_PORT + 10·i; `off` for none.
  const mqttPort = process.env.MQTT_PORT === 'off' ? null : port('MQTT_PORT', 1883);
  const listenHost = process.env.HERALD_HOST ?? '0.0.0.0';
  const probeHost = ['0.0.0.0', '::', ''].includes(listenHost) ? '127.0.0.1' : listenHost;

  const plan = [
    { name: 'api', file: ENTRIES.api, port: apiPort, env: { API_PORT: String(apiPort) } },
    ...Array.from({ length: opts.gateways }, (_, i) => ({
      name: opts.gateways > 1 ? `gateway-${i + 1}` : 'gateway',
      file: ENTRIES.gateway,
      port: gatewayPort + 10 * i,
      mqttPort: mqttPort === null ? null : mqttPort + 10 * i,
      env: { GATEWAY_PORT: String(gatewayPort + 10 * i), MQTT_PORT: mqttPort === null ? 'off' : String(mqttPort + 10 * i) },
    })),
    { name: 'worker', file: ENTRIES.worker, port: workerPort, env: { WORKER_PORT: String(workerPort) } },
  ];
  const seen = new Set();
  for (const p of plan) {
    if (seen.has(p.port)) throw new Fatal(`port ${p.port} is given to two processes (API_PORT, GATEWAY_PORT + 10·i, WORKER_PORT)`);
    seen.add(p.port);
  }

  // Before anything slow: a busy port (an earlier run's apps, another service) fails now, not after migrating.
  for (const p of plan) {
    if (!(await portFree(probeHost, p.port))) throw new Fatal(`port ${p.port} (${p.name}) is already in use on ${probeHost}; stop that process or set ${Object.keys(p.env)[0]}`);
  }
  // A taken MQTT port (a local mosquitto, say) turns that gateway's MQTT over TCP off rather than stopping
  // the service: WebSocket, SSE, polling and MQTT over WebSocket (/mqtt) work without it.
  for (const p of plan) {
    if (p.mqttPort == null) continue;
    if (seen.has(p.mqttPort)) throw new Fatal(`port ${p.mqttPort} is given to two processes (MQTT_PORT + 10·i and an HTTP port)`);
    if (await portFree(probeHost, p.mqttPort)) continue;
    warn(`port ${p.mqttPort} is already in use (another MQTT broker?): ${p.name} serves MQTT over WebSocket only; set MQTT_PORT to use another port`);
    p.mqttPort = null;
    p.env.MQTT_PORT = 'off';
  }

  ensureDeps({ skip: !opts.install });
  ensureBuild({ skip: !opts.build });
  // Every app (and the seed) gets REDIS_CLUSTER_NODES from the environment: REDIS_URL is then ignored.
  const redisCluster = opts.redisCluster ? await startRedisCluster() : undefined;
  if (redisCluster) {
    process.env.REDIS_CLUSTER_NODES = redisCluster.nodes;
    note(`Redis Cluster ${redisCluster.nodes} (redis-server processes ${redisCluster.pids.join(' ')}, data in ${redisCluster.dir})`);
  }
  await ensureServices({ databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL, redisClusterNodes: process.env.REDIS_CLUSTER_NODES });
  await ensureDatabase(process.env.DATABASE_URL);
  migrate(process.env.DATABASE_URL);

  requireEntries();
  const demo = await seed(process.env);

  step(`Starting ${plan.map((p) => `${p.name}:${p.port}`).join(', ')}`);
  const supervisor = new Supervisor(Math.max(...plan.map((p) => p.name.length)), { afterStop: redisCluster && (() => redisCluster.stop()) });
  const timeoutMs = Number(process.env.HERALD_START_TIMEOUT_MS || 60_000);
  const started = plan.map((p) => ({ ...p, child: supervisor.start(p.name, p.file, { ...process.env, ...p.env }) }));
  note(`pids: ${started.map((p) => `${p.name} ${p.child.pid}`).join(', ')}`);
  redisCluster?.watch(started.map((p) => p.child.pid).filter(Boolean));
  await Promise.all(started.map((p) => supervisor.waitHealthy(p.child, `http://${probeHost}:${p.port}/health`, timeoutMs)));

  const apiUrl = (process.env.HERALD_PUBLIC_API_URL || `http://localhost:${apiPort}`).replace(/\/$/, '');
  const gatewayUrls =
    opts.gateways === 1 && process.env.HERALD_PUBLIC_GATEWAY_URL
      ? [process.env.HERALD_PUBLIC_GATEWAY_URL]
      : plan.filter((p) => p.name.startsWith('gateway')).map((p) => `http://localhost:${p.port}`);
  const mqttUrls = plan.filter((p) => p.mqttPort != null).map((p) => `mqtt://localhost:${p.mqttPort}`);
  banner({ demo, apiUrl, gatewayUrls, mqttUrls, redisCluster: redisCluster?.nodes });
  await new Promise(() => {}); // runs until a signal or a child's exit ends the process
}

runMain(main);
