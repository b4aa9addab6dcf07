// LOGS (Herald only): what the log level costs a publish. Herald is started afresh for each arm — its
// default level (`info`: request lines at debug, 5xx at error) and `debug` (a line per request) — and
// takes single durable publishes at a fixed rate, open loop, over C channels with one WebSocket
// subscriber each (S4's step). The arms alternate in order run by run; the report compares medians.
import { durableStep } from './s4-durable.mjs';
import { openSubscribers } from '../load/subscribers.mjs';
import { sleep } from '../load/pace.mjs';

/** `info` is Herald's default HERALD_LOG_LEVEL (libs/config); set explicitly so a shell's value cannot leak in. */
export const LOG_ARMS = ['info', 'debug'];

async function arm(ctx, start, level, { channels: n, rate, seconds, tag, run }) {
  const target = await start({ HERALD_LOG_LEVEL: level });
  try {
    const channels = Array.from({ length: n }, (_, k) => `logs-${tag}-${level}-${run}-${k}`);
    const subs = await openSubscribers(channels.map((c, i) => target.conn('ws', c, i)));
    if (subs.failed) throw new Error(`logs: ${subs.failed} subscribers failed: ${subs.errors.join('; ')}`);
    try {
      const opts = { mode: 'single', batchSize: 1, p99LimitMs: Infinity };
      await durableStep(ctx, target, subs, channels, { ...opts, rate: Math.min(200, rate), seconds: 1 }); // warm-up
      await sleep(500);
      const r = await durableStep(ctx, target, subs, channels, { ...opts, rate, seconds });
      return { level, run, ...r };
    } finally {
      await subs.close();
    }
  } finally {
    await target.stop();
  }
}

/** `start(env)` starts a Herald target with that extra environment. */
export async function logCostRun(ctx, start, { channels, rate, seconds, runs, tag }) {
  const out = { channels, rate, seconds, arms: [] };
  for (let run = 1; run <= runs; run++) {
    const order = run % 2 ? LOG_ARMS : [...LOG_ARMS].reverse();
    for (const level of order) {
      const r = await arm(ctx, start, level, { channels, rate, seconds, tag, run });
      ctx.note?.(`LOGS ${level} run ${run}: ${r.accepted}/${r.published} accepted, ${r.cpuPer1kPublishes.api} API / ${r.cpuPer1kPublishes.total} total CPU-s per 1,000, p99 ${r.latencyMs.p99} ms`);
      out.arms.push(r);
    }
  }
  return out;
}
