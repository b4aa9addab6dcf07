// S4: the durable pipeline (Herald; Nchan+Redis on single publishes as the durable peer). C channels
// with one WebSocket subscriber each; REST publishes spread over them, open loop, stepping the rate up until a step fails: accepted ≠ delivered, p99
// publish→deliver > the limit, or the sender/API could not keep the rate (accepted < 95 % of the target).
// Single `/v1/publish` and `/v1/publish/batch` are stepped separately. CPU per 1,000 publishes (API,
// gateways, worker, Redis, Postgres) is reported for every step.
import { openFor, latency } from './common.mjs';
import { openLoop, payload, sleep } from '../load/pace.mjs';
import { cpuSample, cpuUsed } from '../load/measure.mjs';
import { openSubscribers } from '../load/subscribers.mjs';

const r1 = (x) => Math.round(x * 10) / 10;
/**
 * The payload's `i`, increasing across every step: a peer's subscribers check their sequence by it (Herald's
 * by offset), so a step that restarted it would look like duplicates of the step before.
 */
let seq = 0;

export async function durableStep(ctx, target, subs, channels, { mode, rate, seconds, batchSize, p99LimitMs, p50LimitMs = Infinity }) {
  await subs.reset();
  const count = Math.max(1, Math.round(rate * seconds));
  const before = await cpuSample(target, ctx);
  let sent;
  let accepted = 0;
  const statuses = {};
  if (mode === 'single') {
    sent = await openLoop({ rate, count, send: (i) => target.publish(channels[i % channels.length], payload(++seq)) });
    for (const r of sent.results) {
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status >= 200 && r.status < 300) accepted++; // Nchan answers 201/202
    }
  } else {
    const batches = Math.max(1, Math.round(count / batchSize));
    sent = await openLoop({
      rate: rate / batchSize,
      count: batches,
      send: (b) => target.publishBatch(Array.from({ length: batchSize }, (_, k) => ({ channel: channels[(b * batchSize + k) % channels.length], payload: payload(++seq) }))),
    });
    for (const r of sent.results) {
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 200) accepted += r.body?.accepted ?? 0;
    }
  }
  const published = mode === 'single' ? count : sent.results.length * batchSize;
  let s = await subs.stats();
  const deadline = Date.now() + 10_000;
  while (s.deliveries - s.duplicates < accepted && Date.now() < deadline) {
    await sleep(100);
    s = await subs.stats();
  }
  const after = await cpuSample(target, ctx);
  const cpu = cpuUsed(before, after);
  const lat = latency(s.hist);
  const delivered = s.deliveries - s.duplicates;
  const achieved = accepted / sent.sendSeconds;
  const reasons = [];
  if (accepted < published) reasons.push(`${published - accepted} of ${published} not accepted ${JSON.stringify(statuses)}`);
  if (delivered !== accepted) reasons.push(`accepted ${accepted} ≠ delivered ${delivered}`);
  if (lat.p99 > p99LimitMs) reasons.push(`p99 ${lat.p99} ms > ${p99LimitMs} ms`);
  if (lat.p50 >= p50LimitMs) reasons.push(`p50 ${lat.p50} ms ≥ ${p50LimitMs} ms: fell behind`);
  if (achieved < rate * 0.95) reasons.push(`achieved ${r1(achieved)}/s < 95 % of ${rate}/s (sender lag max ${sent.maxLagMs} ms)`);
  const per1k = (v) => Math.round((v / Math.max(1, accepted)) * 1000 * 1000) / 1000;
  return {
    mode,
    targetRate: rate,
    batchSize: mode === 'batch' ? batchSize : 1,
    published,
    accepted,
    delivered,
    duplicates: s.duplicates,
    statuses,
    achievedRate: r1(achieved),
    senderMaxLagMs: sent.maxLagMs,
    latencyMs: lat,
    cpu,
    cpuPer1kPublishes: Object.fromEntries([...Object.entries(cpu.perProcess).map(([k, v]) => [k, per1k(v)]), ['postgres', per1k(cpu.postgres)], ['total', per1k(cpu.total)]]),
    ok: reasons.length === 0,
    reasons,
  };
}

export async function durableRun(ctx, target, { channels: nChannels, rates, batchRates, seconds, batchSize, p99LimitMs, p50LimitMs, tag }) {
  const channels = Array.from({ length: nChannels }, (_, k) => `s4-${tag}-${k}`);
  const subs = await openSubscribers(channels.map((c, i) => target.conn('ws', c, i)));
  if (subs.failed) throw new Error(`S4: ${subs.failed} subscribers failed: ${subs.errors.join('; ')}`);
  const out = { channels: nChannels, seconds, batchSize, p99LimitMs, p50LimitMs: p50LimitMs ?? null, single: [], batch: [] };
  try {
    // Warm-up (not measured): both paths, a little of each.
    await durableStep(ctx, target, subs, channels, { mode: 'single', rate: Math.min(200, rates[0]), seconds: 1, batchSize, p99LimitMs });
    // A target without a batch endpoint (Nchan+Redis) is stepped on single publishes only.
    const batching = Boolean(target.publishBatch) && batchRates.length > 0;
    if (batching) await durableStep(ctx, target, subs, channels, { mode: 'batch', rate: Math.min(1000, batchRates[0]), seconds: 1, batchSize, p99LimitMs });
    for (const [mode, list] of [['single', rates], ['batch', batching ? batchRates : []]]) {
      for (const rate of list) {
        ctx.note?.(`S4 ${mode} ${rate}/s …`);
        const r = await durableStep(ctx, target, subs, channels, { mode, rate, seconds, batchSize, p99LimitMs, p50LimitMs });
        out[mode].push(r);
        ctx.note?.(`S4 ${mode} ${rate}/s: accepted ${r.accepted}/${r.published}, delivered ${r.delivered}, p99 ${r.latencyMs.p99} ms, achieved ${r.achievedRate}/s${r.ok ? '' : ` ✗ ${r.reasons.join('; ')}`}`);
        if (!r.ok) break;
        await sleep(1000);
      }
      await sleep(2000);
    }
  } finally {
    await subs.close();
  }
  const best = (list) => list.filter((r) => r.ok).at(-1) ?? null;
  out.bestSingle = best(out.single);
  out.bestBatch = best(out.batch);
  return out;
}
export { openFor };
