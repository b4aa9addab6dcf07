import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { environment, loadConfig } from '@herald/config';
import { ROOT, TEST_TIMINGS, dropRedisPrefix, freePort, killLeftovers, uniquePrefix, portListening, processAlive, waitFor } from '@herald/testing';

// `npm start` as an operator's supervisor runs it: the real npm, its shell, scripts/start.mjs and the
// three apps. Stopping npm alone, or killing the whole process group, must leave no app serving.

/** What `npm start` may take on a loaded machine (install and build skipped; migrate, seed, three boots). */
const START_DEADLINE_MS = 60_000;
/** The operator's promise: SIGTERM to npm alone drains and stops everything within 20 s. */
const STOP_DEADLINE_MS = 20_000;
/** With the supervisor SIGKILLed, the apps notice at once; their drain is shortened below. */
const ORPHAN_DEADLINE_MS = 10_000;

interface Started {
  npm: ChildProcess;
  output: () => string;
  closed: Promise<void>;
  pids: number[];
  ports: number[];
}

const everyPid: number[] = [];
const groups: number[] = [];
const prefixes: string[] = [];

async function npmStart(): Promise<Started> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  // A process group of its own, led by npm, as a terminal or a supervisor would start it.
  const npm = spawn('npm', ['start', '--', '--no-install', '--no-build'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...environment(),
      ...TEST_TIMINGS,
      API_PORT: String(ports[0]),
      GATEWAY_PORT: String(ports[1]),
      WORKER_PORT: String(ports[2]),
      HERALD_HOST: '127.0.0.1',
      HERALD_REDIS_PREFIX: prefix,
      HERALD_DEMO_EMAIL: `start-${prefix.slice(0, -1)}@example.test`,
      HERALD_DRAIN_TIMEOUT_MS: '1000',
      FORCE_COLOR: '0',
    },
  });
  groups.push(npm.pid!);
  let out = '';
  npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // start.mjs writes to the same pipe as npm: it closes when the last of them is gone.
  const closed = new Promise<void>((resolve) => npm.stdout!.once('close', resolve));
  await waitFor(() => out.includes('Herald is running'), { timeoutMs: START_DEADLINE_MS, intervalMs: 200, what: `npm start:\n${out}` });
  const line = /pids: (.*)$/m.exec(out)?.[1] ?? '';
  const pids = [...line.matchAll(/\w+ (\d+)/g)].map((m) => Number(m[1]));
  assert.equal(pids.length, 3, `pids of api, gateway and worker in:\n${out}`);
  everyPid.push(...pids);
  for (const port of ports) assert.ok(await portListening(port), `port ${port} serves`);
  return { npm, output: () => out, closed, pids, ports };
}

async function assertAllGone(s: Started, timeoutMs: number): Promise<void> {
  await waitFor(async () => s.pids.every((pid) => !processAlive(pid)), { timeoutMs, intervalMs: 100, what: `apps ${s.pids.join(', ')} to exit:\n${s.output()}` });
  for (const port of s.ports) assert.equal(await portListening(port), false, `port ${port} is free`);
}

/** One warning per condition per start: Prisma's adapter/url notice never, the Redis AOF finding once (the API's). */
async function assertQuietStart(s: Started): Promise<void> {
  assert.doesNotMatch(s.output(), /will NOT be used/, s.output());
  const redis = new Redis(loadConfig(environment()).redisUrl, { lazyConnect: true });
  let aof: string | undefined;
  try {
    await redis.connect();
    aof = ((await redis.call('CONFIG', 'GET', 'appendonly')) as string[])[1];
  } finally {
    redis.disconnect();
  }
  const aofWarnings = () => s.output().split('Redis AOF is off').length - 1;
  if (aof === 'no') await waitFor(() => aofWarnings() > 0, { timeoutMs: 5_000, what: `the AOF warning:\n${s.output()}` });
  // Every app was healthy before the banner: a check of their own would have logged by now.
  assert.equal(aofWarnings(), aof === 'no' ? 1 : 0, s.output());
}

after(async () => {
  killLeftovers(groups, everyPid);
  for (const prefix of prefixes) await dropRedisPrefix(loadConfig(environment()), prefix);
});

describe('npm start leaves no orphan', () => {
  test('SIGTERM to the npm process alone drains and stops every app within 20 s', async () => {
    const s = await npmStart();
    await assertQuietStart(s);
    const started = Date.now();
    process.kill(s.npm.pid!, 'SIGTERM');
    await assertAllGone(s, STOP_DEADLINE_MS);
    await s.closed;
    assert.ok(Date.now() - started < STOP_DEADLINE_MS, `stopped in ${Date.now() - started} ms`);
    // Stopped by the supervisor's SIGTERM (a drain), not killed.
    for (const name of ['api', 'gateway', 'worker']) assert.match(s.output(), new RegExp(`^\\s*${name} stopped$`, 'm'), s.output());
  });

  test('a port still held (say, by an earlier run) fails npm start at once, before migrating', async () => {
    const held = net.createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    const heldPort = (held.address() as net.AddressInfo).port;
    try {
      const npm = spawn('npm', ['start', '--', '--no-install', '--no-build'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...environment(), API_PORT: String(heldPort), GATEWAY_PORT: String(await freePort()), WORKER_PORT: String(await freePort()), HERALD_HOST: '127.0.0.1', FORCE_COLOR: '0' },
      });
      let out = '';
      npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => npm.once('close', resolve));
      assert.notEqual(code, 0, out);
      assert.match(out, new RegExp(`port ${heldPort} \\(api\\) is already in use`));
      assert.doesNotMatch(out, /Applying migrations|Seeding/);
    } finally {
      held.close();
    }
  });

  test('SIGKILL to the whole process group: the apps see their supervisor die and exit', async () => {
    const s = await npmStart();
    process.kill(-s.npm.pid!, 'SIGKILL');
    await assertAllGone(s, ORPHAN_DEADLINE_MS);
  });
});
