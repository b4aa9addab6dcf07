// MQTT (issue 17): Herald's gateways (MQTT over TCP) against Debian's mosquitto with the same MQTT 3.1.1
// QoS 0 subscribers — S1's idle subscribers (memory per connection), S2's closed-loop broadcast
// (deliveries per CPU-second) and S3's fixed-rate latency (publish → deliver p99). Herald publishes over
// REST (stored, then fanned out); mosquitto gets the same messages from one MQTT client at QoS 1.
import { sleep } from '../load/pace.mjs';
import { broadcast, openFor } from './common.mjs';
import { idleRun } from './s1-idle.mjs';
import { broadcastRun } from './s2-broadcast.mjs';
import { latencyRun } from './s3-latency.mjs';

/** R runs of S1 + S2 (fresh processes each, for memory), then S3's runs on one set of subscribers; record(key, result). */
export async function mqttRuns(ctx, target, { n, m, runs, window, deliveries, rate, seconds, bytes }, record, { step, note }) {
  for (let r = 1; r <= runs; r++) {
    await target.restart();
    const wchannel = `mqtt-w-${ctx.tag}-${target.name}-${r}`;
    const warm = await openFor(target, 'mqtt', Math.min(n, 1000), wchannel);
    await broadcast(ctx, target, warm, { channel: wchannel, count: 5, window, bytes });
    await warm.close();
    await sleep(1000);
    const channel = `mqtt-b-${ctx.tag}-${target.name}-${r}`;
    step(`${target.label} MQTT run ${r}/${runs}: ${n} subscribers, then ${Math.ceil(deliveries / n)} messages closed loop (window ${window})`);
    const { result, subs } = await idleRun(ctx, target, 'mqtt', { n, channel });
    try {
      note(`MQTT S1 ${target.label}: ${result.bytesPerConnection} B/connection (+ Redis ${result.redisBytesPerConnection ?? '–'}), connected in ${result.connectSeconds} s`);
      record('s1', result);
      await broadcast(ctx, target, subs, { channel, count: 5, window, bytes }); // warm-up
      const b = await broadcastRun(ctx, target, subs, { channel, deliveries, fullN: n, window, bytes });
      note(`MQTT S2 ${target.label}: ${b.deliveries} deliveries, ${b.deliveriesPerCpuSecond ?? '–'}/CPU-s (servers ${b.cpu.servers} + Redis ${b.cpu.redis} + PG ${b.cpu.postgres} CPU-s), p50/p99 ${b.latencyMs.p50}/${b.latencyMs.p99} ms, gaps ${b.gaps}, dups ${b.duplicates}`);
      record('s2', b);
    } finally {
      await subs.close();
    }
    await sleep(1000);
  }
  const channel = `mqtt-l-${ctx.tag}-${target.name}`;
  step(`${target.label} MQTT S3: ${m} subscribers, ${rate} msg/s for ${seconds} s × ${runs}`);
  const subs = await openFor(target, 'mqtt', m, channel);
  try {
    await broadcast(ctx, target, subs, { channel, count: Math.round(rate * 2), rate, bytes }); // warm-up
    for (let r = 1; r <= runs; r++) {
      const res = await latencyRun(ctx, target, subs, { channel, rate, seconds, bytes });
      note(`MQTT S3 ${target.label} run ${r}: p50 ${res.latencyMs.p50} p99 ${res.latencyMs.p99} ms, ${res.deliveries}/${res.expected} delivered, dups ${res.duplicates}`);
      record('s3', res);
    }
  } finally {
    await subs.close();
  }
}
