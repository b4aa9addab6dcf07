// Shared steps of the scenarios: opening subscribers for a target, a measured open-loop broadcast, and
// latency summaries. Every wait is bounded.
import { openSubscribers } from '../load/subscribers.mjs';
import { closedLoop, openLoop, payload, sleep, nowMs } from '../load/pace.mjs';
import { cpuSample, cpuUsed } from '../load/measure.mjs';
import os from 'node:os';

const r3 = (x) => (x == null || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);

/** p50/p90/p99/p99.9/max in ms from a µs HDR histogram. */
export function latency(h) {
  if (!h.totalCount) return { count: 0 };
  const p = (q) => r3(h.getValueAtPercentile(q) / 1000);
  return { count: h.totalCount, p50: p(50), p90: p(90), p99: p(99), p999: p(99.9), max: r3(h.maxValue / 1000) };
}

/** n subscribers of `channel` over `transport`, spread over the target's ports and several processes. */
export async function openFor(target, transport, n, channel) {
  const conns = Array.from({ length: n }, (_, i) => target.conn(transport, channel, i));
  const subs = await openSubscribers(conns);
  if (subs.failed) throw new Error(`${target.label} ${transport}: ${subs.failed} of ${n} subscribers failed to connect: ${subs.errors.join('; ')}`);
  return subs;
}

/** Per-target sequence numbers for the payload's `i` (a channel's messages are numbered 1, 2, …). */
const seqs = new Map();
export function nextSeqs(channel, count) {
  const start = (seqs.get(channel) ?? 0) + 1;
  seqs.set(channel, start + count - 1);
  return start;
}

/**
 * Publishes `count` messages of `bytes` to `channel` — open loop at `rate`, or closed loop with at most
 * `window` messages not yet delivered to every subscriber — waits until every subscriber has each
 * accepted message (or no progress for `stallMs`), and measures server CPU over that window.
 */
export async function broadcast(ctx, target, subs, { channel, count, rate, window, bytes = 100, stallMs = 5000, maxWaitMs = 120_000 }) {
  await subs.reset();
  const seq0 = nextSeqs(channel, count);
  const before = await cpuSample(target, ctx);
  const t0 = nowMs();
  const send = (i) => target.publish(channel, payload(seq0 + i, bytes));
  const sent = window ? await closedLoop({ count, window, send, subs, stallMs }) : await openLoop({ rate, count, send });
  const accepted = sent.results.filter((r) => r.status >= 200 && r.status < 300).length;
  const expected = accepted * subs.ready;
  let s = await subs.stats();
  let last = s.deliveries;
  let lastChange = Date.now();
  const deadline = Date.now() + maxWaitMs;
  while (s.deliveries - s.duplicates < expected && Date.now() - lastChange < stallMs && Date.now() < deadline) {
    await sleep(200);
    s = await subs.stats();
    if (s.deliveries !== last) (last = s.deliveries), (lastChange = Date.now());
  }
  const drainedAt = nowMs();
  const after = await cpuSample(target, ctx);
  const cpu = cpuUsed(before, after);
  const unique = s.deliveries - s.duplicates;
  const statuses = {};
  for (const r of sent.results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const answers = sent.results.map((r) => r.ms).sort((a, b) => a - b);
  return {
    channel,
    subscribers: subs.ready,
    published: count,
    accepted,
    statuses,
    publishErrors: sent.results.filter((r) => !(r.status >= 200 && r.status < 300)).slice(0, 3),
    targetRate: window ? null : rate,
    window: window ?? null,
    achievedRate: sent.achievedRate,
    senderMaxLagMs: sent.maxLagMs,
    publishAnswerMs: { p50: r3(answers[Math.floor(answers.length / 2)]), p99: r3(answers[Math.floor(answers.length * 0.99)]) },
    expected,
    deliveries: s.deliveries,
    complete: unique >= expected,
    gaps: Math.max(0, expected - unique),
    duplicates: s.duplicates,
    outOfOrder: s.outOfOrder,
    subscriberErrors: s.errors,
    closedUnexpectedly: s.closedUnexpectedly,
    latencyMs: latency(s.hist),
    seconds: r3((drainedAt - t0) / 1000),
    loadavg: os.loadavg()[0],
    cpu,
    deliveriesPerCpuSecond: cpu.total > 0 ? Math.round(s.deliveries / cpu.total) : null,
    deliveriesPerServerCpuSecond: cpu.servers > 0 ? Math.round(s.deliveries / cpu.servers) : null,
  };
}
