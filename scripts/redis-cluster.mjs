#!/usr/bin/env node
// A local Redis Cluster (3 masters, 3 replicas) from the machine's redis-server, in the foreground until
// Ctrl-C: for trying cluster mode (`npm start -- --redis-cluster` runs it for you) or pointing your own
// processes at it with the REDIS_CLUSTER_NODES line it prints. Data lives in a temporary directory and is
// deleted on exit.
//
//   node scripts/redis-cluster.mjs              ports 7000-7005 (cluster bus 17000-17005)
//   HERALD_REDIS_CLUSTER_PORT=0 node scripts/redis-cluster.mjs   any free ports
//
// Started by scripts/start.mjs with an IPC channel: it then reports {type:'ready', nodes, pids} or
// {type:'failed', message} there, and stops its nodes when the channel closes (start.mjs gone, however
// it went), so no redis-server outlives the script that asked for it. start.mjs sends {type:'apps', pids}:
// when the channel closes, the apps (which see it close too) drain first, and the nodes stop once they
// have exited (or after APPS_GRACE_MS).
import { startLocalCluster } from './lib/redis-cluster.mjs';

const DEFAULT_PORT = 7000;
/** The apps' own drain (HERALD_DRAIN_TIMEOUT_MS, 5 s) and start.mjs's SIGKILL grace (10 s), with room. */
const APPS_GRACE_MS = 15_000;

function running(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function appsGone(pids, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

function basePort() {
  const raw = process.env.HERALD_REDIS_CLUSTER_PORT ?? String(DEFAULT_PORT);
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 55530) throw new Error(`HERALD_REDIS_CLUSTER_PORT must be 0 (any free ports) or a port up to 55530, got ${raw}`);
  return port;
}

async function main() {
  let starting;
  let stopping;
  // Waits for a start under way: its nodes are this process's children and would outlive it.
  const stop = (code) => {
    stopping ??= (async () => {
      const cluster = await starting?.catch(() => undefined);
      await cluster?.stop();
      process.exit(code);
    })();
    return stopping;
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void stop(0));
  let apps = [];
  if (process.channel) {
    process.on('message', (m) => {
      if (m?.type === 'apps' && Array.isArray(m.pids)) apps = m.pids.filter(Number.isInteger);
    });
    // start.mjs went without stopping anything: its apps are draining on their own; they need Redis for it.
    process.once('disconnect', () => void appsGone(apps, APPS_GRACE_MS).then(() => stop(0)));
  }
  let cluster;
  try {
    // Appendonly, as Herald asks of any Redis it uses (the API warns otherwise); the data still goes on exit.
    starting = startLocalCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 5_000, basePort: basePort(), appendonly: true });
    cluster = await starting;
  } catch (e) {
    if (process.send) process.send({ type: 'failed', message: e.message });
    else console.error(`redis-cluster: ${e.message}`);
    await stop(1);
    return;
  }
  if (stopping) return; // asked to stop while it was starting
  if (process.send) process.send({ type: 'ready', nodes: cluster.nodes, pids: cluster.pids, dir: cluster.dir });
  else console.log(`Redis Cluster running (3 masters, 3 replicas; Ctrl-C stops it and deletes ${cluster.dir}):\nREDIS_CLUSTER_NODES=${cluster.nodes}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
