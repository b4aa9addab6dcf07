import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './processes.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export interface TestRedisCluster {
  /** Seed nodes as REDIS_CLUSTER_NODES takes them: `127.0.0.1:port,…`, masters first. */
  nodes: string;
  /** Ports of the masters as formed (index 0 … masters-1); a failover does not renumber them. */
  masterPorts: number[];
  stop(): Promise<void>;
  /** SIGKILLs master i (no shutdown save): its replica takes over after the node timeout. */
  killMaster(i: number): Promise<void>;
  /**
   * Starts killed node i again, on its port and directory: it keeps its cluster config but no data (no
   * persistence), so call it only once its replica took over — it then rejoins as that one's replica.
   */
  restartNode(i: number): Promise<void>;
  /** The port of the master serving `key`'s slot (asked of a live master). */
  ownerPort(key: string): Promise<number>;
}

interface Node {
  port: number;
  proc: ChildProcess;
  args: string[];
}

/**
 * A Redis Cluster of the test's own: `masters` masters with `replicasPerMaster` replicas each, from
 * Debian's redis-server (≥ 7), on free loopback ports, node timeout 2 s so a failover takes seconds.
 * Resolves once every node reports cluster_state:ok and every replica is in sync with its master.
 */
export async function startRedisCluster(opts: { masters?: number; replicasPerMaster?: number; nodeTimeoutMs?: number } = {}): Promise<TestRedisCluster> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicasPerMaster ?? 1;
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-cluster-'));
  const nodes: Node[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => kill(n.proc)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) nodes.push(await startNode(dir, i, opts.nodeTimeoutMs ?? 2_000));
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    // redis-cli makes the first `masters` addresses masters and the rest their replicas.
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 30_000 });
    await waitFor(async () => (await Promise.all(nodes.map((n) => clusterState(n.port)))).every((s) => s === 'ok'), { timeoutMs: 30_000, intervalMs: 100, what: 'redis cluster state ok' });
    // A replica that has not finished its first sync cannot take over: wait until each master has its replicas online.
    const online = async (port: number) => (await withNode(port, (c) => c.info('replication'))).match(/state=online/g)?.length ?? 0;
    await waitFor(async () => (await Promise.all(nodes.slice(0, masters).map((n) => online(n.port)))).every((n) => n === replicas), { timeoutMs: 30_000, intervalMs: 100, what: 'redis cluster replicas online' });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    nodes: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    masterPorts: nodes.slice(0, masters).map((n) => n.port),
    stop,
    killMaster: async (i) => kill(nodes[i].proc),
    restartNode: async (i) => {
      const n = nodes[i];
      await kill(n.proc);
      n.proc = spawn('redis-server', n.args, { stdio: 'ignore' });
      await waitFor(async () => (await info(n.port)).includes(`process_id:${n.proc.pid}\r\n`), { what: `cluster node ${i} restarted` });
    },
    ownerPort: async (key) => {
      const slot = keySlot(key);
      const live = nodes.find((n) => n.proc.exitCode === null && n.proc.signalCode === null)!;
      const ranges = await withNode(live.port, (c) => c.cluster('SLOTS'));
      const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!owner) throw new Error(`no master serves slot ${slot}`);
      return owner[2][1];
    },
  };
}

async function startNode(root: string, index: number, nodeTimeoutMs: number): Promise<Node> {
  const dir = path.join(root, String(index));
  mkdirSync(dir);
  // Redis cannot pick its own port and report it: a port chosen free may be taken in between, so retry.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // Full coverage off: a shard failing over leaves the other shards serving (docs/scaling.md).
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(nodeTimeoutMs), '--cluster-require-full-coverage', 'no', '--maxmemory-policy', 'noeviction'];
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    try {
      await waitFor(async () => {
        if (proc.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${proc.exitCode}`);
        return (await info(port)).includes(`process_id:${proc.pid}\r\n`);
      }, { what: `cluster node ${index} up` });
      return { port, proc, args };
    } catch (e) {
      await kill(proc);
      if (attempt === 5) throw e;
    }
  }
}

async function withNode<T>(port: number, f: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => undefined); // refused until the server listens: that is what the callers wait for
  try {
    await c.connect();
    return await f(c);
  } finally {
    c.disconnect();
  }
}

const info = (port: number) => withNode(port, (c) => c.info('server'));

async function clusterState(port: number): Promise<string | undefined> {
  const text = await withNode(port, (c) => c.cluster('INFO') as Promise<string>);
  return /cluster_state:(\w+)/.exec(text)?.[1];
}

async function kill(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

// ioredis routes by cluster-key-slot (CRC16 of the hash tag, mod 16384); it ships no types.
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

/** The cluster slot of a key, as ioredis and Redis compute it (the `{tag}` part only, when there is one). */
export function keySlot(key: string): number {
  return calculateSlot(key);
}
