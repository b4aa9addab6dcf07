// A local Redis Cluster from the machine's `redis-server` and `redis-cli` (Debian's redis-server package,
// Redis ≥ 7): used by `npm start -- --redis-cluster` (through scripts/redis-cluster.mjs) and by the test
// harness (libs/testing startRedisCluster). Loopback only, data in a directory of its own that stop()
// deletes: it is for trying and testing cluster mode, not for keeping data.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { redisCommands } from './services.mjs';

const run = promisify(execFile);
const HOST = '127.0.0.1';
/** Redis Cluster's bus port is the client port + 10000 unless given (`--cluster-port`): that needs ports ≤ 55535. */
const BUS_OFFSET = 10_000;

/** A port nobody listens on now (the OS picks it; another process may take it before Redis does: callers retry). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function portTaken(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function until(check, { timeoutMs, what, intervalMs = 100 }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      if (await check()) return;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** One command on node `port`: its reply (an error reply is thrown). */
export async function nodeCommand(port, ...args) {
  const [reply] = await redisCommands(`redis://${HOST}:${port}`, [args], 2000);
  if (reply instanceof Error) throw reply;
  return reply;
}

async function kill(proc, signal = 'SIGKILL') {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill(signal);
  await exited;
}

/**
 * Starts one node. `port` 0: free ports (client and bus), retried when another process takes them first;
 * a given port: its bus port is port + 10000, and a failure is final.
 */
async function startNode(dir, index, { port, nodeTimeoutMs, appendonly }) {
  const nodeDir = join(dir, String(index));
  mkdirSync(nodeDir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const clientPort = port || (await freePort());
    const busPort = port ? port + BUS_OFFSET : await freePort();
    const args = [
      '--port', String(clientPort), '--cluster-port', String(busPort), '--bind', HOST, '--dir', nodeDir,
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${clientPort}.conf`, '--cluster-node-timeout', String(nodeTimeoutMs),
      // Full coverage off: a shard failing over leaves the other shards serving (docs/scaling.md).
      '--cluster-require-full-coverage', 'no',
      // Herald's requirements for any Redis it uses (docs/scaling.md); AOF only where asked (tests skip it).
      '--maxmemory-policy', 'noeviction', '--save', '', '--appendonly', appendonly ? 'yes' : 'no',
    ];
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    let spawnFailure;
    proc.once('error', (e) => (spawnFailure = e));
    try {
      await nodeUp(proc, clientPort);
      return { port: clientPort, busPort, proc, args };
    } catch (e) {
      await kill(proc);
      await new Promise((r) => setImmediate(r)); // a failed spawn reports its error on a later tick
      if (spawnFailure) throw new Error(`cannot run redis-server (is the redis-server package installed?): ${spawnFailure.message}`);
      if (port || attempt === 5) throw e;
    }
  }
}

/** Until the node on `port` answers as process `proc` (not another server that took the port first). */
async function nodeUp(proc, port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`redis-server on port ${port} exited (${proc.exitCode ?? proc.signalCode}); is the port taken?`);
    if (proc.pid === undefined) throw new Error('redis-server did not start');
    try {
      if (String(await nodeCommand(port, 'INFO', 'server')).includes(`process_id:${proc.pid}\r\n`)) return;
    } catch {
      // refused until it listens: that is what this waits for
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts `masters` masters with `replicasPerMaster` replicas each and joins them with `redis-cli
 * --cluster create` (which makes the first `masters` nodes masters, slots split evenly). Resolves once
 * every node reports cluster_state:ok and every replica is in sync, so a failover can happen at once.
 *
 * `basePort`: nodes on basePort … basePort + n - 1 (bus ports + 10000), refused when one is taken;
 * 0 (default): any free ports. `dir`: where the nodes keep their files (a new temporary directory by
 * default); stop() kills every node (SIGKILL: nothing is kept) and deletes it.
 */
export async function startLocalCluster({ masters = 3, replicasPerMaster = 1, nodeTimeoutMs = 2_000, basePort = 0, appendonly = false, dir } = {}) {
  const total = masters * (1 + replicasPerMaster);
  if (basePort) {
    if (!Number.isInteger(basePort) || basePort < 1 || basePort + total - 1 + BUS_OFFSET > 65535) throw new Error(`a cluster base port must leave room for ${total} ports and their bus ports (+${BUS_OFFSET}), got ${basePort}`);
    for (let i = 0; i < total; i++) {
      for (const p of [basePort + i, basePort + i + BUS_OFFSET]) if (await portTaken(p)) throw new Error(`port ${p} is already in use (an earlier cluster still running?)`);
    }
  }
  const root = dir ?? mkdtempSync(join(tmpdir(), 'herald-cluster-'));
  const nodes = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => kill(n.proc)));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < total; i++) nodes.push(await startNode(root, i, { port: basePort && basePort + i, nodeTimeoutMs, appendonly }));
    const addresses = nodes.map((n) => `${HOST}:${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'], { timeout: 30_000 });
    const state = async (port) => /cluster_state:(\w+)/.exec(String(await nodeCommand(port, 'CLUSTER', 'INFO')))?.[1];
    await until(async () => (await Promise.all(nodes.map((n) => state(n.port)))).every((s) => s === 'ok'), { timeoutMs: 30_000, what: 'cluster_state:ok on every node' });
    // A replica that has not finished its first sync cannot take over: wait until each master has its replicas online.
    const online = async (port) => String(await nodeCommand(port, 'INFO', 'replication')).match(/state=online/g)?.length ?? 0;
    await until(async () => (await Promise.all(nodes.slice(0, masters).map((n) => online(n.port)))).every((n) => n === replicasPerMaster), {
      timeoutMs: 30_000,
      what: 'every replica in sync with its master',
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    /** `host:port,…` as REDIS_CLUSTER_NODES takes it, masters first. */
    nodes: nodes.map((n) => `${HOST}:${n.port}`).join(','),
    ports: nodes.map((n) => n.port),
    masterPorts: nodes.slice(0, masters).map((n) => n.port),
    pids: nodes.map((n) => n.proc.pid),
    dir: root,
    /** SIGKILLs node i (no shutdown save): a master's replica takes over after the node timeout. */
    kill: (i) => kill(nodes[i].proc),
    /** Node i's process, while it runs (undefined once it exited). */
    alive: (i) => nodes[i].proc.exitCode === null && nodes[i].proc.signalCode === null,
    /** Kills node i if it runs and starts it again with its own files (a dead master rejoins as a replica). */
    restart: async (i) => {
      const n = nodes[i];
      await kill(n.proc);
      n.proc = spawn('redis-server', n.args, { stdio: 'ignore' });
      await nodeUp(n.proc, n.port);
    },
    stop,
  };
}
