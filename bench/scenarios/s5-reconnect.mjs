// S5 (Herald only): a reconnect storm. N SDK-like WebSocket clients on gateway 1 (C channels), messages
// flowing at R msg/s over REST; gateway 1 is SIGKILLed and every client reconnects to gateway 2 with
// full-jitter backoff (attempt n waits uniform [0, 500·2ⁿ) ms, as the SDK) and resubscribes with its last
// {offset, epoch}. Measured: time from the kill until every client has resumed (`subscribed`) and
// received the replay up to the offset its `subscribed` frame named; gaps and duplicates by offset.
import { openSubscribers } from '../load/subscribers.mjs';
import { payload, sleep, nowMs } from '../load/pace.mjs';

export async function reconnectRun(ctx, target, { n, channels: nChannels, rate, beforeKillMs = 3000, timeoutMs = 60_000, tag }) {
  const [g1, g2] = target.stack.gateways;
  const channels = Array.from({ length: nChannels }, (_, k) => `s5-${tag}-${k}`);
  const urlOf = (g) => `${g.url.replace('http', 'ws')}/ws?appkey=${encodeURIComponent(target.tenant.subscribeKey)}`;
  const conns = Array.from({ length: n }, (_, i) => ({ kind: 'herald-sdk', urls: [urlOf(g1), urlOf(g2)], url: urlOf(g1), channel: channels[i % nChannels] }));
  const subs = await openSubscribers(conns);
  if (subs.failed) throw new Error(`S5: ${subs.failed} clients failed to connect: ${subs.errors.join('; ')}`);
  const lastOffset = new Map();
  let publishing = true;
  let published = 0;
  let accepted = 0;
  const statuses = {};
  const publisher = (async () => {
    const interval = 1000 / rate;
    const t0 = performance.now();
    const pending = [];
    while (publishing) {
      const i = published++;
      const channel = channels[i % nChannels];
      pending.push(
        target.publish(channel, payload(i + 1)).then((r) => {
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status === 200) {
            accepted++;
            lastOffset.set(channel, Math.max(lastOffset.get(channel) ?? 0, r.body.offset));
          }
        }),
      );
      await sleep(Math.max(0, t0 + published * interval - performance.now()));
    }
    await Promise.all(pending);
  })();
  await sleep(beforeKillMs);
  const killAt = nowMs();
  g1.proc.kill('SIGKILL');
  let s;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sleep(100);
    s = await subs.stats();
    if (s.resume.caughtUp >= n || Date.now() > deadline) break;
  }
  const recoverySeconds = s.resume.caughtUp >= n ? Math.round((s.resume.lastCaughtAt - killAt)) / 1000 : null;
  await sleep(1000); // keep publishing a moment after the storm
  publishing = false;
  await publisher;
  await sleep(1500);
  const final = await subs.stats({ perConnection: true });
  // Gaps: holes inside each client's sequence plus what it never received at the end.
  let tailMissing = 0;
  for (const [channel, last] of final.perConnection) tailMissing += Math.max(0, (lastOffset.get(channel) ?? 0) - last);
  await subs.close();
  return {
    clients: n,
    channels: nChannels,
    rate,
    published,
    accepted,
    statuses,
    killedGateway: g1.url,
    resumed: final.resume.resumed,
    caughtUp: s.resume.caughtUp,
    notRecovered: final.resume.notRecovered,
    reconnects: final.resume.reconnects,
    recoverySeconds,
    gaps: final.holes + tailMissing,
    duplicates: final.duplicates,
    outOfOrder: final.outOfOrder,
    deliveries: final.deliveries,
    errors: final.errors,
  };
}
