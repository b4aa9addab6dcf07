// Shared helpers for scripts/bench.mjs: HTTP keep-alive publishing, a WebSocket subscriber that
// records latency and offsets, per-process CPU from /proc, statistics and machine facts.
import http from 'node:http';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as hdr from 'hdr-histogram-js';
import WebSocket from 'ws';

/** Wall clock in ms with sub-ms resolution; the same clock on the publishing and receiving side. */
export const nowMs = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- HTTP publish ---------------------------------------------------------------------------------

/** POST /v1/publish over a keep-alive agent; resolves with { status, body, ms } and never rejects. */
export function makePublisher(apiUrl, secret, { sockets = 32, timeoutMs = 30_000 } = {}) {
  const u = new URL(apiUrl);
  if (u.hostname !== '127.0.0.1') throw new Error(`bench traffic must stay on 127.0.0.1 (got ${u.hostname})`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  const auth = `Bearer ${secret}`;
  function publish(channel, message) {
    const body = JSON.stringify({ channel, message });
    const started = performance.now();
    return new Promise((resolve) => {
      const req = http.request(
        {
          agent,
          host: '127.0.0.1',
          port: Number(u.port),
          method: 'POST',
          path: '/v1/publish',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: auth },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            let parsed;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString());
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode, body: parsed, ms: performance.now() - started });
          });
          res.on('error', (e) => resolve({ status: 0, error: e.message, ms: performance.now() - started }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ status: 0, error: e.message, ms: performance.now() - started }));
      req.end(body);
    });
  }
  return { publish, close: () => agent.destroy() };
}

// --- WebSocket subscriber -------------------------------------------------------------------------

/**
 * One `ws` connection subscribed to `channels` (one subscribe frame). Records, per message, the
 * latency receive time − message.t (µs, in an HDR histogram) and the offsets seen per channel.
 */
export async function openSubscriber(wsUrl, appkey, channels, { timeoutMs = 15_000 } = {}) {
  const u = new URL(wsUrl);
  if (u.hostname !== '127.0.0.1') throw new Error(`bench traffic must stay on 127.0.0.1 (got ${u.hostname})`);
  const ws = new WebSocket(`${wsUrl}?appkey=${encodeURIComponent(appkey)}`, { perMessageDeflate: false });
  const state = {
    ws,
    received: 0,
    hist: newHistogram(),
    // receive − the frame's `time` (Date.now() when the API took the publish in hand), ms resolution:
    // the latency without the publish request's wait before the API handled it.
    fromServerHist: newHistogram(),
    offsets: new Map(channels.map((c) => [c, []])),
    errors: [],
    lastAt: 0,
    onMessage: undefined,
  };
  const subscribed = new Set();
  let connected = false;
  let closed;
  ws.on('message', (data) => {
    const at = nowMs();
    const f = JSON.parse(data.toString());
    if (f.type === 'message') {
      state.received++;
      state.lastAt = at;
      const t = Number(f.content?.t);
      if (Number.isFinite(t)) state.hist.recordValue(Math.max(1, Math.round((at - t) * 1000)));
      if (Number.isFinite(f.time)) state.fromServerHist.recordValue(Math.max(1, (Date.now() - f.time) * 1000));
      state.offsets.get(f.channel)?.push(f.offset);
      state.onMessage?.();
    } else if (f.type === 'connected') {
      connected = true;
    } else if (f.type === 'subscribed') {
      subscribed.add(f.channel);
    } else if (f.type === 'ping') {
      ws.send('{"type":"pong"}');
    } else if (f.type === 'error' || f.type === 'disconnect' || f.type === 'reset') {
      state.errors.push(f);
    }
  });
  ws.on('close', (code) => (closed = code));
  ws.on('error', (e) => state.errors.push({ type: 'socket-error', message: e.message }));
  await until(() => connected || closed !== undefined, timeoutMs, 'WebSocket connected frame');
  if (!connected) throw new Error(`WebSocket closed before connecting (code ${closed})`);
  ws.send(JSON.stringify({ type: 'subscribe', id: 1, channels }));
  await until(() => subscribed.size === channels.length || state.errors.length > 0 || closed !== undefined, timeoutMs, 'subscribed frames');
  if (subscribed.size !== channels.length) throw new Error(`subscribe failed: ${JSON.stringify(state.errors.slice(0, 3))}`);
  state.close = () =>
    new Promise((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      const t = setTimeout(() => (ws.terminate(), resolve()), 2000);
      ws.once('close', () => (clearTimeout(t), resolve()));
      ws.close();
    });
  return state;
}

/** Polls a condition (bounded by timeoutMs); resolves true when met, false on timeout for `soft`. */
export async function until(check, timeoutMs, what, { soft = false, intervalMs = 5 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      if (soft) return false;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(intervalMs);
  }
  return true;
}

/** Calls `work(i)` for i = 0 … count-1 with `concurrency` calls in flight; resolves with the seconds it took. */
export async function inFlight(count, concurrency, work) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

/**
 * Gaps and duplicates per channel: `accepted` maps channel → offsets the API answered with, `seen`
 * maps channel → offsets received. gaps = accepted but never received; duplicates = received twice
 * or more; outOfOrder = deliveries whose offset is lower than the one before on the same channel.
 */
export function checkOffsets(accepted, seen) {
  let gaps = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let unexpected = 0;
  for (const [channel, list] of seen) {
    const counts = new Map();
    let prev = -Infinity;
    for (const o of list) {
      counts.set(o, (counts.get(o) ?? 0) + 1);
      if (o < prev) outOfOrder++;
      prev = o;
    }
    for (const c of counts.values()) if (c > 1) duplicates += c - 1;
    const want = new Set(accepted.get(channel) ?? []);
    for (const o of want) if (!counts.has(o)) gaps++;
    for (const o of counts.keys()) if (!want.has(o)) unexpected++;
    // Offsets the API handed out must themselves be contiguous within the channel.
    const sorted = [...want].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1] + 1) gaps += sorted[i] - sorted[i - 1] - 1;
  }
  return { gaps, duplicates, outOfOrder, unexpected };
}

// --- Statistics -----------------------------------------------------------------------------------

export function newHistogram() {
  // µs values, 1 µs .. 10 min, 3 significant digits.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

const r3 = (x) => Math.round(x * 1000) / 1000;

/** p50/p90/p99/p99.9/max/mean in ms from a µs histogram. */
export function summarize(h) {
  if (h.totalCount === 0) return { count: 0 };
  const p = (q) => r3(h.getValueAtPercentile(q) / 1000);
  return { count: h.totalCount, p50: p(50), p90: p(90), p99: p(99), p999: p(99.9), max: r3(h.maxValue / 1000), mean: r3(h.mean / 1000) };
}

export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// --- CPU ------------------------------------------------------------------------------------------

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime+stime of a process in seconds (fields 14 and 15 of /proc/<pid>/stat), or null if gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime = field 14 → rest[11], stime = field 15 → rest[12].
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** The machine's redis-server: the `pgrep -x redis-server` entry serving :6379, else the first. */
export function findRedisPid(port = 6379) {
  let pids = [];
  try {
    pids = execFileSync('pgrep', ['-x', 'redis-server'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return null;
  }
  for (const pid of pids) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(`:${port}`)) return pid;
    } catch {
      /* gone */
    }
  }
  return pids[0] ?? null;
}

/**
 * Snapshot of CPU seconds for { name: pid }, the bench process itself (`bench`) and, when given, the
 * Postgres backends `pgPids` (kept per pid: pools may open or close backends during a run).
 */
export function cpuSnapshot(pids, pgPids = []) {
  const snap = {};
  for (const [name, pid] of Object.entries(pids)) snap[name] = pid ? cpuSeconds(pid) : null;
  const u = process.cpuUsage();
  snap.bench = (u.user + u.system) / 1e6;
  snap.postgres = Object.fromEntries(pgPids.map((pid) => [pid, cpuSeconds(pid)]).filter(([, v]) => v !== null));
  return snap;
}

/** CPU-seconds per 1,000 messages per process between two snapshots. */
export function cpuPer1k(before, after, messages) {
  const out = {};
  for (const name of Object.keys(after)) {
    let used;
    if (name === 'postgres') {
      // A backend that appeared during the run counts from 0; one that vanished is lost (rare).
      used = 0;
      for (const [pid, v] of Object.entries(after.postgres)) used += v - (before.postgres?.[pid] ?? 0);
    } else if (before[name] == null || after[name] == null) {
      out[name] = null;
      continue;
    } else {
      used = after[name] - before[name];
    }
    out[name] = { cpuSeconds: r3(used), per1k: r3((used / messages) * 1000) };
  }
  return out;
}

/** Postgres backend pids connected to `database` (API and worker pools), via pg_stat_activity. */
export async function postgresBackendPids(pgClient, database) {
  const { rows } = await pgClient.query('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  return rows.map((r) => r.pid);
}

// --- Machine --------------------------------------------------------------------------------------

export function machineInfo() {
  let model = 'unknown';
  try {
    model = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? model;
  } catch {
    /* not Linux */
  }
  let nproc = os.availableParallelism?.() ?? os.cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    /* keep */
  }
  return {
    nproc,
    cpuModel: model,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** A positive integer setting of a bench script, from the environment (`def` when unset). */
export function intEnv(name, def) {
  const n = Number(process.env[name] ?? def);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

/**
 * The benchmarks' own database (herald_bench on DATABASE_URL's server, as `npm run bench`), created and
 * migrated, with Postgres and Redis checked first; sets DATABASE_URL so the stacks started next use it.
 */
export async function useBenchDatabase() {
  const services = await import('../scripts/lib/services.mjs');
  const databaseUrl = services.withDatabase(process.env.DATABASE_URL || services.DEFAULT_DATABASE_URL, 'herald_bench');
  await services.ensureServices({ databaseUrl, redisUrl: process.env.REDIS_URL || services.DEFAULT_REDIS_URL });
  await services.ensureDatabase(databaseUrl);
  services.migrate(databaseUrl);
  process.env.DATABASE_URL = databaseUrl;
  return databaseUrl;
}
