// The load generator's subscriber side: N connections spread over several forked processes
// (bench/load/subscriber-worker.mjs, at most 5,000 each), with merged statistics.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';

const WORKER = fileURLToPath(new URL('./subscriber-worker.mjs', import.meta.url));
export const MAX_PER_PROCESS = 5000;

const newHist = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });

/** How many processes for n connections: ≥ 2 (≥ 4 from 10,000), ≤ 8, ≤ 5,000 connections each. */
export function processCount(n) {
  return Math.min(8, Math.max(n >= 10_000 ? 4 : 2, Math.ceil(n / MAX_PER_PROCESS)));
}

function request(child, msg, type, timeoutMs) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (child.off('message', on), reject(new Error(`subscriber process ${child.pid}: no '${type}' within ${timeoutMs} ms`))), timeoutMs);
    const on = (m) => {
      if (m?.type !== type) return;
      clearTimeout(t);
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.send(msg);
  });
}

/**
 * Opens conns (from target.conn(...)) across processCount(n) forked processes. Resolves with
 * { ready, failed, errors, stats(), reset(), close() } once every connection is ready or failed.
 */
export async function openSubscribers(conns, { procs = processCount(conns.length), concurrency = 100, timeoutMs = 180_000 } = {}) {
  const children = Array.from({ length: procs }, () => fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const parts = children.map((_, k) => conns.filter((_, i) => i % procs === k));
  let opened;
  try {
    opened = await Promise.all(children.map((c, k) => request(c, { cmd: 'open', conns: parts[k], concurrency }, 'opened', timeoutMs)));
  } catch (e) {
    children.forEach((c) => c.kill('SIGKILL'));
    throw e;
  }
  const all = (cmd, type, extra = {}) => Promise.all(children.map((c) => request(c, { cmd, ...extra }, type, 60_000)));
  return {
    pids: children.map((c) => c.pid),
    ready: opened.reduce((t, o) => t + o.ready, 0),
    failed: opened.reduce((t, o) => t + o.failed, 0),
    errors: opened.flatMap((o) => o.errors).slice(0, 5),
    reset: () => all('reset', 'reset'),
    /**
     * Closed-loop tracking: onComplete(i) once every ready connection has the message whose payload `i`
     * is i; returns a function that stops it.
     */
    async watch(onComplete) {
      const answers = await all('watch', 'watching', { on: true });
      const reporting = answers.filter((a) => a.ready > 0).length;
      const seen = new Map();
      const on = (m) => {
        if (m?.type !== 'done') return;
        const n = (seen.get(m.i) ?? 0) + 1;
        if (n < reporting) return void seen.set(m.i, n);
        seen.delete(m.i);
        onComplete(m.i);
      };
      children.forEach((c) => c.on('message', on));
      return async () => {
        children.forEach((c) => c.off('message', on));
        await all('watch', 'watching', { on: false });
      };
    },
    /** Merged statistics: deliveries, duplicates, out-of-order, open holes, latency histogram (µs) and resume progress. */
    async stats({ perConnection = false } = {}) {
      const parts = await all('stats', 'stats', { perConnection });
      const hist = newHist();
      for (const p of parts) hist.add(hdr.decodeFromCompressedBase64(p.hist));
      const sum = (f) => parts.reduce((t, p) => t + f(p), 0);
      return {
        clients: sum((p) => p.clients),
        open: sum((p) => p.open),
        deliveries: sum((p) => p.deliveries),
        duplicates: sum((p) => p.duplicates),
        outOfOrder: sum((p) => p.outOfOrder),
        holes: sum((p) => p.holes),
        closedUnexpectedly: sum((p) => p.closedUnexpectedly),
        errors: parts.flatMap((p) => p.errors).slice(0, 5),
        hist,
        resume: {
          resumed: sum((p) => p.resume.resumed),
          caughtUp: sum((p) => p.resume.caughtUp),
          notRecovered: sum((p) => p.resume.notRecovered),
          reconnects: sum((p) => p.resume.reconnects),
          lastCaughtAt: Math.max(0, ...parts.map((p) => p.resume.lastCaughtAt)),
        },
        perConnection: perConnection ? parts.flatMap((p) => p.perConnection) : undefined,
      };
    },
    async close() {
      await Promise.all(
        children.map(async (c) => {
          if (c.exitCode !== null) return;
          const exited = new Promise((r) => c.once('exit', r));
          await request(c, { cmd: 'close' }, 'closed', 20_000).catch(() => c.kill('SIGKILL'));
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
          if (c.exitCode === null) c.kill('SIGKILL');
        }),
      );
    },
  };
}
