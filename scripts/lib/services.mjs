// Postgres and Redis checks shared by scripts/start.mjs and scripts/test.mjs. Postgres is probed over
// TCP and then used through `pg` (imported lazily: it only exists after `npm ci`); Redis is spoken to
// in raw RESP so that the check needs nothing installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { ROOT, run } from './prepare.mjs';
import { Fatal, note, step, warn } from './ui.mjs';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/herald';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function pgTarget(url) {
  const u = new URL(url);
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
  };
}

/** The same server and credentials with another database name. */
export function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Credentials are left out: these strings are printed. */
export const describeUrl = (url) => {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol.startsWith('redis') ? 6379 : 5432)}${u.pathname.length > 1 ? u.pathname : ''}`;
};

function tcpProbe(host, port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (error) => {
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(timeoutMs, () => done('timed out'));
    socket.once('connect', () => done(null));
    socket.once('error', (e) => done(e.code ?? e.message));
  });
}

// --- Redis over raw RESP --------------------------------------------------------------------------

function parseReply(buf, at = 0) {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  if (type === '+') return { value: line, next };
  if (type === '-') return { value: new Error(line), next };
  if (type === ':') return { value: Number(line), next };
  if (type === '$') {
    const len = Number(line);
    if (len < 0) return { value: null, next };
    if (buf.length < next + len + 2) return null;
    return { value: buf.toString('utf8', next, next + len), next: next + len + 2 };
  }
  if (type === '*') {
    const count = Number(line);
    const items = [];
    let pos = next;
    for (let i = 0; i < count; i++) {
      const item = parseReply(buf, pos);
      if (!item) return null;
      items.push(item.value);
      pos = item.next;
    }
    return { value: count < 0 ? null : items, next: pos };
  }
  return { value: new Error(`unexpected RESP reply: ${line}`), next };
}

const encode = (args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`;

/**
 * Sends commands in order on one connection (AUTH first when the URL carries credentials) and
 * resolves with their replies; error replies come back as Error values, not rejections.
 */
export function redisCommands(url, commands, timeoutMs = 3000) {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(u.port || 6379);
  const pre = [];
  if (u.password) pre.push(u.username ? ['AUTH', decodeURIComponent(u.username), decodeURIComponent(u.password)] : ['AUTH', decodeURIComponent(u.password)]);
  const all = [...pre, ...commands];
  return new Promise((resolve, reject) => {
    const socket = u.protocol === 'rediss:' ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const replies = [];
    const fail = (e) => {
      socket.destroy();
      reject(e);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error('timed out')));
    socket.once('error', (e) => fail(new Error(e.code ?? e.message)));
    socket.once(u.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => {
      // A plain inline PING is the probe everything else relies on; the rest is RESP-encoded.
      socket.write(all.map((c) => (c.length === 1 && c[0] === 'PING' ? 'PING\r\n' : encode(c))).join(''));
    });
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      let parsed;
      while ((parsed = parseReply(buf))) {
        replies.push(parsed.value);
        buf = buf.subarray(parsed.next);
      }
      if (replies.length >= all.length) {
        socket.end();
        const authError = replies.slice(0, pre.length).find((r) => r instanceof Error);
        if (authError) reject(new Error(`AUTH failed: ${authError.message}`));
        else resolve(replies.slice(pre.length));
      }
    });
  });
}

async function probeRedis(url) {
  try {
    const [pong] = await redisCommands(url, [['PING']]);
    return pong === 'PONG' ? null : `PING answered ${pong instanceof Error ? pong.message : JSON.stringify(pong)}`;
  } catch (e) {
    return e.message;
  }
}

/** REDIS_CLUSTER_NODES (`host:port,…`): the first seed that answers must report cluster_state:ok. */
async function probeRedisCluster(nodes) {
  const seeds = nodes.split(',').map((n) => n.trim()).filter(Boolean);
  let last = 'no seed node given';
  for (const seed of seeds) {
    try {
      const [info] = await redisCommands(`redis://${seed}`, [['CLUSTER', 'INFO']]);
      if (info instanceof Error) return `${seed}: CLUSTER INFO answered ${info.message}`;
      const state = /cluster_state:(\w+)/.exec(String(info))?.[1];
      return state === 'ok' ? null : `${seed} reports cluster_state:${state}`;
    } catch (e) {
      last = `${seed}: ${e.message}`;
    }
  }
  return last;
}

async function probePostgres(url) {
  const t = pgTarget(url);
  return tcpProbe(t.host, t.port);
}

// --- Bringing the services up ---------------------------------------------------------------------

// The STACK-NOTES commands start the machine's own servers on their default ports, nothing else.
const isLocalDefault = (url) => {
  const u = new URL(url);
  const port = u.port || (u.protocol.startsWith('redis') ? '6379' : '5432');
  return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && ['5432', '6379'].includes(port);
};
const pgVersions = () => (existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : []);
const REDIS_START = ['redis-server', '--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no'];

function hasDockerEngine() {
  const r = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 15_000 });
  return r.status === 0;
}

function startCommands(down) {
  const lines = [];
  if (down.includes('postgres')) {
    const versions = pgVersions();
    if (versions.length) for (const v of versions) lines.push(`pg_ctlcluster --skip-systemctl-redirect ${v} main start`);
    else lines.push('pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start');
  }
  if (down.includes('redis')) lines.push(`redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no`);
  return lines;
}

function instructions(down, urls) {
  const out = [
    `${down.map((s) => `${s === 'postgres' ? 'Postgres' : 'Redis'} (${describeUrl(urls[s])})`).join(' and ')} ${down.length > 1 ? 'are' : 'is'} not reachable, and no Docker engine answers \`docker info\`.`,
    '',
    'Start them (as root, or with sudo), then run this again:',
    ...startCommands(down).map((l) => `    ${l}`),
    '',
    'On a bare Debian/Ubuntu machine, install them first (apt does not start them):',
    '    apt-get update',
    `    apt-get install -y ${[down.includes('postgres') && 'postgresql', down.includes('redis') && 'redis-server'].filter(Boolean).join(' ')}`,
    '',
    'With Docker:   docker compose up -d postgres redis',
    'Elsewhere:     set DATABASE_URL / REDIS_URL to servers that are running.',
  ];
  return out.join('\n');
}

async function waitUntilUp(urls, down, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const still = [];
    if (down.includes('postgres') && (await probePostgres(urls.postgres))) still.push('postgres');
    if (down.includes('redis') && (await probeRedis(urls.redis))) still.push('redis');
    if (!still.length) return [];
    if (Date.now() > deadline) return still;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Resolves when both services answer. When one does not: with `autoStart` (CI) the commands from
 * STACK-NOTES start local ones; else a Docker engine runs the compose services; else it prints what
 * to start and throws.
 */
export async function ensureServices({ databaseUrl, redisUrl, redisClusterNodes, autoStart = false }) {
  // REDIS_CLUSTER_NODES selects cluster mode: REDIS_URL is ignored, and a cluster is never started here.
  const cluster = redisClusterNodes?.trim();
  step(`Checking Postgres (${describeUrl(databaseUrl)}) and Redis ${cluster ? `Cluster (${cluster})` : `(${describeUrl(redisUrl)})`}`);
  const urls = { postgres: databaseUrl, redis: redisUrl };
  const errors = { postgres: await probePostgres(databaseUrl), redis: cluster ? await probeRedisCluster(cluster) : await probeRedis(redisUrl) };
  const down = Object.keys(errors).filter((k) => errors[k]);
  if (!down.length) {
    note('both reachable');
    return;
  }
  if (cluster && down.includes('redis')) throw new Fatal(`the Redis Cluster at REDIS_CLUSTER_NODES=${cluster} is not ready: ${errors.redis}`);
  for (const s of down) warn(`${s} is not reachable at ${describeUrl(urls[s])}: ${errors[s]}`);

  if (autoStart && down.every((s) => isLocalDefault(urls[s]))) {
    for (const line of startCommands(down)) {
      step(`Starting: ${line}`);
      if (line.startsWith('pg_ctlcluster')) {
        const [, ...args] = line.split(' ');
        run('pg_ctlcluster', args, { what: line });
      } else {
        run(REDIS_START[0], REDIS_START.slice(1), { what: line });
      }
    }
  } else if (hasDockerEngine()) {
    // The compose plugin, or the older standalone docker-compose.
    const plugin = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;
    const [cmd, ...pre] = plugin ? ['docker', 'compose'] : ['docker-compose'];
    step(`Starting with Docker: ${[cmd, ...pre, 'up', '-d', ...down].join(' ')}`);
    // Compose checks every required variable of the file, even for services it does not start: the
    // apps' HERALD_MASTER_KEY has no fallback there, and Postgres and Redis never read it.
    run(cmd, [...pre, 'up', '-d', ...down], { env: { ...process.env, HERALD_MASTER_KEY: process.env.HERALD_MASTER_KEY || 'unused-by-postgres-and-redis' } });
  } else {
    throw new Fatal(instructions(down, urls));
  }
  const still = await waitUntilUp(urls, down, 60_000);
  if (still.length) throw new Fatal(`${still.join(' and ')} still not reachable after 60 s`);
  note('both reachable');
}

// --- Postgres database and migrations -------------------------------------------------------------

async function connectAdmin(url) {
  const { default: pg } = await import('pg');
  const target = pgTarget(url);
  let lastError;
  // `postgres` is the usual maintenance database; some managed servers only offer template1.
  for (const database of ['postgres', 'template1']) {
    const client = new pg.Client({ ...target, database, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      return client;
    } catch (e) {
      lastError = e;
      await client.end().catch(() => {});
      if (e.code !== '3D000') break; // only "database does not exist" is worth another try
    }
  }
  throw new Fatal(`cannot connect to Postgres at ${describeUrl(url)} as "${target.user}": ${lastError.message}`);
}

export async function ensureDatabase(url) {
  const { database } = pgTarget(url);
  const client = await connectAdmin(url);
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount) return false;
    step(`Creating database "${database}"`);
    try {
      await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
    } catch (e) {
      if (e.code === '42P04') return false; // created concurrently
      throw new Fatal(`CREATE DATABASE "${database}" failed: ${e.message}${e.code === '42501' ? ' (the role needs CREATEDB)' : ''}`);
    }
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

export function migrate(url) {
  step(`Applying migrations to ${describeUrl(url)}: node scripts/prisma.mjs migrate deploy`);
  run(process.execPath, [`${ROOT}/scripts/prisma.mjs`, 'migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: url },
    what: 'prisma migrate deploy',
  });
}

