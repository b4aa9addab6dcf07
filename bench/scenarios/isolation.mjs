// Tenant isolation (Herald only): tenant B publishes at a steady rate to M subscribers (its p99 alone),
// then again while tenant A (on a plan with a publish limit) floods at 10× that limit over REST.
// Target: B's p99 under the flood within +20 % of B alone.
import { openSubscribers } from '../load/subscribers.mjs';
import { openLoop, payload } from '../load/pace.mjs';
import { latency } from './common.mjs';
import { cpuSample, cpuUsed } from '../load/measure.mjs';

async function runB(ctx, target, subs, b, { channel, rate, seconds }) {
  await subs.reset();
  const count = Math.round(rate * seconds);
  const before = await cpuSample(target, ctx);
  const sent = await openLoop({ rate, count, send: (i) => b.publish(channel, payload(i + 1)) });
  const accepted = sent.results.filter((r) => r.status === 200).length;
  const deadline = Date.now() + 10_000;
  let s = await subs.stats();
  while (s.deliveries < accepted * subs.ready && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    s = await subs.stats();
  }
  const cpu = cpuUsed(before, await cpuSample(target, ctx));
  return { published: count, accepted, expected: accepted * subs.ready, deliveries: s.deliveries, duplicates: s.duplicates, latencyMs: latency(s.hist), achievedRate: sent.achievedRate, cpu };
}

export async function isolationRun(ctx, target, { planA, limitA, rateB, subscribersB, seconds, tag, runs }) {
  const a = await target.newTenant(planA);
  const b = await target.newTenant('bench');
  const channel = `iso-${tag}-b`;
  const subs = await openSubscribers(Array.from({ length: subscribersB }, (_, i) => ({ ...target.conn('ws', channel, i), url: target.conn('ws', channel, i).url.replace(/appkey=[^&]+/, `appkey=${b.key}`) })));
  if (subs.failed) throw new Error(`isolation: ${subs.failed} subscribers failed: ${subs.errors.join('; ')}`);
  const floodRate = limitA * 10;
  const out = { planA, limitA, floodRate, rateB, subscribersB, seconds, alone: [], flooded: [] };
  try {
    await runB(ctx, target, subs, b, { channel, rate: rateB, seconds: 1 }); // warm-up
    for (let r = 0; r < runs; r++) {
      out.alone.push(await runB(ctx, target, subs, b, { channel, rate: rateB, seconds }));
      let flooding = true;
      const floodStatuses = {};
      let floodSent = 0;
      const flood = (async () => {
        while (flooding) {
          const batch = await openLoop({ rate: floodRate, count: Math.max(1, Math.round(floodRate / 4)), send: (i) => a.publish(`iso-${tag}-a`, payload(i + 1)) });
          floodSent += batch.results.length;
          for (const x of batch.results) floodStatuses[x.status] = (floodStatuses[x.status] ?? 0) + 1;
        }
      })();
      await new Promise((res) => setTimeout(res, 500));
      const flooded = await runB(ctx, target, subs, b, { channel, rate: rateB, seconds });
      flooding = false;
      await flood;
      flooded.flood = { sent: floodSent, statuses: floodStatuses };
      out.flooded.push(flooded);
    }
  } finally {
    await subs.close();
    a.close();
    b.close();
  }
  return out;
}
