// Open-loop publishing: message i is sent at t0 + i / rate whatever earlier answers did.
import { performance } from 'node:perf_hooks';

export const nowMs = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A payload of about `bytes` bytes of JSON: {t, i, p} with t the send time (shared clock) and i a sequence. */
export function payload(i, bytes = 100) {
  const head = `{"t":${nowMs().toFixed(3)},"i":${i},"p":"`;
  return `${head}${'x'.repeat(Math.max(0, bytes - head.length - 2))}"}`;
}

/**
 * Calls send(i) for i in [0, count) at `rate` per second, open loop. Resolves when every send's
 * promise has settled: { results, sendSeconds, achievedRate, maxLagMs }.
 */
export async function openLoop({ rate, count, send }) {
  const interval = 1000 / rate;
  const pending = [];
  const t0 = performance.now() + 2;
  let i = 0;
  let maxLagMs = 0;
  while (i < count) {
    const now = performance.now();
    const due = Math.min(count, Math.floor((now - t0) / interval) + 1);
    while (i < due) {
      maxLagMs = Math.max(maxLagMs, now - (t0 + i * interval));
      pending.push(send(i++));
    }
    if (i < count) await sleep(Math.max(0, t0 + i * interval - performance.now()));
  }
  const sendSeconds = (performance.now() - t0) / 1000;
  const results = await Promise.all(pending);
  return { results, sendSeconds, achievedRate: Math.round((count / Math.max(sendSeconds, 1e-3)) * 10) / 10, maxLagMs: Math.round(maxLagMs * 10) / 10 };
}

/**
 * Calls send(i) for i in [0, count), closed loop: at most `window` messages sent and not yet complete
 * (every subscriber has it: subs.watch) or refused. A throughput load that no target can fall behind:
 * each one runs as fast as it delivers. Stops sending when nothing completes for `stallMs`.
 * Resolves like openLoop, plus `stalled`.
 */
export async function closedLoop({ count, window, send, subs, stallMs = 5000 }) {
  let completed = 0;
  let wake;
  const progress = () => (completed++, wake?.());
  const stop = await subs.watch(progress);
  const pending = [];
  const t0 = performance.now();
  let stalled = false;
  try {
    for (let i = 0; i < count && !stalled; i++) {
      while (i - completed >= window) {
        const before = completed;
        await new Promise((r) => {
          wake = r;
          setTimeout(r, stallMs);
        });
        wake = undefined;
        if (completed === before) {
          stalled = true;
          break;
        }
      }
      if (stalled) break;
      // A refused publish never completes: it leaves the window at once.
      pending.push(send(i).then((r) => (r.status >= 200 && r.status < 300 ? r : (progress(), r))));
    }
    const results = await Promise.all(pending);
    const sendSeconds = (performance.now() - t0) / 1000;
    return { results, sendSeconds, achievedRate: Math.round((results.length / Math.max(sendSeconds, 1e-3)) * 10) / 10, maxLagMs: null, stalled };
  } finally {
    await stop();
  }
}
