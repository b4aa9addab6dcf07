import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import { RedisKeys } from '@herald/bus';
import { environment, loadConfig } from '@herald/config';
import { ROOT, TEST_TIMINGS, WsClient, createTenant, dropRedisPrefix, freePort, killLeftovers, restPublish, uniquePrefix, portListening, processAlive, waitFor } from '@herald/testing';

// `npm start -- --redis-cluster` as a developer runs it: a local 3-master/3-replica cluster from
// redis-server, every app on it (REDIS_CLUSTER_NODES; REDIS_URL ignored), a message published and
// received through it, and on SIGTERM the apps and then every redis-server gone, their data deleted.

/** Install and build skipped: the cluster (a few seconds), migrate, seed, three boots on a loaded machine. */
const START_DEADLINE_MS = 90_000;
const STOP_DEADLINE_MS = 30_000;

const groups: number[] = [];
const everyPid: number[] = [];
const prefix = uniquePrefix();

after(async () => {
  killLeftovers(groups, everyPid);
  // Nothing may have reached the single Redis; if something did, the assertion below has said so.
  await dropRedisPrefix(loadConfig(environment()).redisUrl, prefix);
});

interface Started {
  npm: ChildProcess;
  out: () => string;
  closed: Promise<void>;
  ports: { api: number; gateway: number };
  nodes: string[];
  redisPids: number[];
  appPids: number[];
  dataDir: string;
}

async function npmStartWithCluster(): Promise<Started> {
  const [api, gateway, worker] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...environment(),
    ...TEST_TIMINGS,
    API_PORT: String(api),
    GATEWAY_PORT: String(gateway),
    WORKER_PORT: String(worker),
    MQTT_PORT: 'off',
    HERALD_HOST: '127.0.0.1',
    HERALD_REDIS_PREFIX: prefix,
    HERALD_REDIS_CLUSTER_PORT: '0', // any free ports: 7000-7005 may be another run's
    HERALD_DEMO_EMAIL: `start-${prefix.slice(0, -1)}@example.test`,
    HERALD_DRAIN_TIMEOUT_MS: '1000',
    FORCE_COLOR: '0',
  };
  delete env.REDIS_CLUSTER_NODES; // the option starts its own
  // A process group of its own, led by npm, as a terminal would start it.
  const npm = spawn('npm', ['start', '--', '--no-install', '--no-build', '--redis-cluster'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  groups.push(npm.pid!);
  let out = '';
  npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<void>((resolve) => npm.stdout!.once('close', resolve));
  await waitFor(() => out.includes('Herald is running') || npm.exitCode !== null, { timeoutMs: START_DEADLINE_MS, intervalMs: 200, what: `npm start --redis-cluster:\n${out}` });
  assert.match(out, /Herald is running/, out);
  const cluster = /Redis Cluster (\S+) \(redis-server processes ([\d ]+), data in (\S+)\)/.exec(out);
  assert.ok(cluster, `the cluster line in:\n${out}`);
  const [nodes, redisPids, dataDir] = [cluster[1].split(','), cluster[2].split(' ').map(Number), cluster[3]];
  const appPids = [.../pids: (.*)$/m.exec(out)![1].matchAll(/\w+ (\d+)/g)].map((m) => Number(m[1]));
  everyPid.push(...redisPids, ...appPids);
  assert.deepEqual([nodes.length, redisPids.length, appPids.length], [6, 6, 3], out);
  assert.ok(redisPids.every(processAlive), 'the nodes run');
  assert.match(out, new RegExp(`Redis Cluster\\s+${nodes.join(',')}`), 'the banner names the cluster');
  assert.ok(existsSync(dataDir), dataDir);
  return { npm, out: () => out, closed, ports: { api, gateway }, nodes, redisPids, appPids, dataDir };
}

async function assertNothingLeft(s: Started, timeoutMs: number): Promise<void> {
  await waitFor(async () => [...s.appPids, ...s.redisPids].every((pid) => !processAlive(pid)), { timeoutMs, intervalMs: 100, what: `apps and redis-servers to exit:\n${s.out()}` });
  for (const n of s.nodes) assert.equal(await portListening(Number(n.split(':')[1])), false, `${n} is free`);
  await waitFor(() => !existsSync(s.dataDir), { timeoutMs: 5_000, what: `${s.dataDir} deleted` });
}

test('npm start -- --redis-cluster: the apps run on a local cluster, a message goes through it, and SIGTERM leaves no redis-server', async () => {
  const s = await npmStartWithCluster();
  const apiUrl = `http://127.0.0.1:${s.ports.api}`;
  const t = await createTenant(apiUrl);
  const ws = await WsClient.connect(`ws://127.0.0.1:${s.ports.gateway}/ws`, t.subscribeKey);
  await ws.subscribe('through-the-cluster');
  const sent = await restPublish(apiUrl, t.secret, { channel: 'through-the-cluster', message: { hello: 'cluster' } });
  const [got] = await ws.waitForMessages(1, 'through-the-cluster');
  assert.deepEqual([got.id, got.content, got.offset], [sent.id, { hello: 'cluster' }, 1]);
  ws.close();

  // The message is in the cluster, and nothing of this run is in the single Redis of REDIS_URL.
  const keys = new RedisKeys(prefix, true);
  const client = new Cluster(s.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
  try {
    assert.equal(await client.xlen(keys.channel(t.appId, 'through-the-cluster').history), 1);
  } finally {
    client.disconnect();
  }
  const single = new Redis(loadConfig(environment()).redisUrl);
  try {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await single.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 10_000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    assert.deepEqual(found, [], 'REDIS_URL is ignored');
  } finally {
    single.disconnect();
  }

  process.kill(s.npm.pid!, 'SIGTERM');
  await assertNothingLeft(s, STOP_DEADLINE_MS);
  await s.closed;
  // The apps drained against a live cluster, then the cluster went.
  const out = s.out();
  for (const name of ['api', 'gateway', 'worker']) assert.match(out, new RegExp(`^\\s*${name} stopped$`, 'm'), out);
  assert.ok(out.indexOf('redis cluster stopped') > out.lastIndexOf('worker stopped'), `the cluster stops after the apps:\n${out}`);
});

test('SIGKILL to the whole process group: the apps drain against the live cluster and exit, then the process holding the nodes stops them', async () => {
  const s = await npmStartWithCluster();
  process.kill(-s.npm.pid!, 'SIGKILL');
  await assertNothingLeft(s, STOP_DEADLINE_MS);
});
