import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';

/*
 * A small, self-contained harness for the API e2e test: real API and worker processes on free ports,
 * a Redis prefix of their own, the herald_test database. To be replaced by libs/testing's startStack().
 */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const TEST_DATABASE_URL = process.env.HERALD_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/herald_test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Creates and migrates the test database when it is missing. */
export async function ensureTestDatabase(): Promise<void> {
  const url = new URL(TEST_DATABASE_URL);
  const name = url.pathname.slice(1);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await admin.connect();
  try {
    const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount === 0) await admin.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  const m = spawnSync(process.execPath, ['scripts/prisma.mjs', 'migrate', 'deploy'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL },
    encoding: 'utf8',
  });
  if (m.status !== 0) throw new Error(`migrate deploy failed:\n${m.stdout}\n${m.stderr}`);
}

export interface Proc {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Runs a built entry point with `env` and waits until GET /health answers on `port`. */
export async function startProcess(script: string, port: number, env: Record<string, string>): Promise<Proc> {
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, script)], {
    cwd: ROOT,
    env: { ...process.env, ...env, HERALD_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}:\n${out}`);
      return (await fetch(`${url}/health`).catch(() => undefined))?.ok;
    }, `${script} /health`, 20_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, output: () => out, stop };
}

export interface ApiStack {
  api: Proc;
  worker: Proc;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startApiStack(extraEnv: Record<string, string> = {}): Promise<ApiStack> {
  await ensureTestDatabase();
  const prefix = `t-${randomBytes(4).toString('hex')}:`;
  const [apiPort, workerPort] = await Promise.all([freePort(), freePort()]);
  const env = {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL,
    HERALD_REDIS_PREFIX: prefix,
    HERALD_LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    API_PORT: String(apiPort),
    WORKER_PORT: String(workerPort),
    ...extraEnv,
  };
  const [api, worker] = await Promise.all([
    startProcess('dist/apps/api/src/main.js', apiPort, env),
    startProcess('dist/apps/worker/src/main.js', workerPort, env),
  ]);
  return {
    api,
    worker,
    env,
    async stop() {
      await Promise.all([api.stop(), worker.stop()]);
      await dropPrefix(prefix);
    },
  };
}

async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  /** A raw body, sent as application/json (for malformed or huge bodies). */
  raw?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

/** One HTTP call; the body is parsed as JSON when there is one. */
export async function call<T = Record<string, unknown>>(base: string, method: string, path: string, o: CallOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let body: string | undefined;
  if (o.json !== undefined || o.raw !== undefined) {
    headers['content-type'] = 'application/json';
    body = o.raw ?? JSON.stringify(o.json);
  } else if (o.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(o.form).toString();
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}
