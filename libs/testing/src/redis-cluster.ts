import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { ROOT } from './processes.js';

export interface TestRedisCluster {
  /** Seed nodes as REDIS_CLUSTER_NODES takes them: `127.0.0.1:port,…`, masters first. */
  nodes: string;
  /** Ports of the masters as formed (index 0 … masters-1); a failover does not renumber them. */
  masterPorts: number[];
  /** Process ids as formed: the masters (index 0 … masters-1), then the replicas (the bench counts their CPU). */
  pids: { masters: number[]; replicas: number[] };
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
  /**
   * Moves `slot` from its master to the master on `toPort` as an operator (or `redis-cli --cluster
   * reshard`) does: the target IMPORTING, the source MIGRATING, every key of the slot MIGRATEd in
   * batches, then the slot assigned to the target on the target, the source and the other masters
   * (their replicas learn it from the cluster bus). `whileMigrating` (if given) runs twice while the
   * slot is open: before its keys move, then once they are all on the target.
   */
  migrateSlot(slot: number, toPort: number, opts?: { whileMigrating?: (keysOn: 'source' | 'target') => Promise<void> }): Promise<void>;
  /** One command on the node on `port`, its reply as ioredis gives it (an error reply is thrown). */
  nodeCommand(port: number, command: string, ...args: Array<string | number>): Promise<unknown>;
}

/** scripts/lib/redis-cluster.mjs: the cluster `npm start -- --redis-cluster` starts too (plain JS, loaded at run time). */
interface LocalCluster {
  nodes: string;
  ports: number[];
  pids: number[];
  masterPorts: number[];
  kill(i: number): Promise<void>;
  alive(i: number): boolean;
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}
type StartLocalCluster = (opts: { masters?: number; replicasPerMaster?: number; nodeTimeoutMs?: number }) => Promise<LocalCluster>;

/**
 * A Redis Cluster of the test's own: `masters` masters with `replicasPerMaster` replicas each, from
 * Debian's redis-server (≥ 7), on free loopback ports, node timeout 2 s so a failover takes seconds.
 * Resolves once every node reports cluster_state:ok and every replica is in sync with its master.
 */
export async function startRedisCluster(opts: { masters?: number; replicasPerMaster?: number; nodeTimeoutMs?: number } = {}): Promise<TestRedisCluster> {
  const { startLocalCluster } = (await import(pathToFileURL(path.join(ROOT, 'scripts/lib/redis-cluster.mjs')).href)) as { startLocalCluster: StartLocalCluster };
  const local = await startLocalCluster({ masters: opts.masters ?? 3, replicasPerMaster: opts.replicasPerMaster ?? 1, nodeTimeoutMs: opts.nodeTimeoutMs ?? 2_000 });
  return {
    nodes: local.nodes,
    masterPorts: local.masterPorts,
    pids: { masters: local.pids.slice(0, local.masterPorts.length), replicas: local.pids.slice(local.masterPorts.length) },
    stop: () => local.stop(),
    killMaster: (i) => local.kill(i),
    restartNode: (i) => local.restart(i),
    ownerPort: async (key) => {
      const slot = keySlot(key);
      const live = local.ports.find((_, i) => local.alive(i))!;
      const ranges = await withNode(live, (c) => c.cluster('SLOTS'));
      const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!owner) throw new Error(`no master serves slot ${slot}`);
      return owner[2][1];
    },
    nodeCommand: (port, command, ...args) => withNode(port, (c) => c.call(command, ...args)),
    migrateSlot: (slot, toPort, opts = {}) => migrateSlot(slot, toPort, opts.whileMigrating),
  };
}

/** The keys MIGRATE moves per call (redis-cli's --cluster-pipeline default is 10). */
const MIGRATE_BATCH = 10;
const MIGRATE_TIMEOUT_MS = 5_000;

async function migrateSlot(slot: number, toPort: number, whileMigrating?: (keysOn: 'source' | 'target') => Promise<void>): Promise<void> {
  const command = (port: number, name: string, ...args: Array<string | number>) => withNode(port, (c) => c.call(name, ...args));
  // The masters as the target sees them now (a failover may have changed them): `<id> <ip:port@bus> <flags> <master id> … <slots>`.
  const masters = String(await command(toPort, 'CLUSTER', 'NODES'))
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([, , flags]) => flags.split(',').includes('master') && !flags.includes('fail'))
    .map(([id, address]) => ({ id, port: Number(address.split('@')[0].split(':').at(-1)) }));
  const ranges = (await command(toPort, 'CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
  const source = masters.find((m) => m.port === ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1]);
  const target = masters.find((m) => m.port === toPort);
  if (!source || !target) throw new Error(`slot ${slot}: no master serves it, or ${toPort} is no master`);
  if (source === target) throw new Error(`slot ${slot} is already on ${toPort}`);
  await command(target.port, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id);
  await command(source.port, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id);
  await whileMigrating?.('source');
  for (;;) {
    const keys = (await command(source.port, 'CLUSTER', 'GETKEYSINSLOT', slot, MIGRATE_BATCH)) as string[];
    if (keys.length === 0) break;
    await command(source.port, 'MIGRATE', '127.0.0.1', target.port, '', 0, MIGRATE_TIMEOUT_MS, 'KEYS', ...keys);
  }
  await whileMigrating?.('target');
  for (const m of [target, source, ...masters.filter((m) => m !== target && m !== source)]) await command(m.port, 'CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
}

async function withNode<T>(port: number, f: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => undefined); // a killed node refuses: the caller's error says so
  try {
    await c.connect();
    return await f(c);
  } finally {
    c.disconnect();
  }
}

// ioredis routes by cluster-key-slot (CRC16 of the hash tag, mod 16384); it ships no types.
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

/** The cluster slot of a key, as ioredis and Redis compute it (the `{tag}` part only, when there is one). */
export function keySlot(key: string): number {
  return calculateSlot(key);
}
