// S1 (and S6's SSE/long-poll variants): N idle subscribers on one channel; server memory per connection
// = (RSS of the target's processes after − before) / N, summed over its processes (Redis on its own).
import { rssSample } from '../load/measure.mjs';
import { sleep } from '../load/pace.mjs';
import { openFor } from './common.mjs';
import os from 'node:os';

/** Opens the subscribers and measures memory; returns { result, subs } so S2 can reuse them. */
export async function idleRun(ctx, target, transport, { n, channel, settleMs = 3000 }) {
  const before = await rssSample(target, ctx);
  const t0 = Date.now();
  const subs = await openFor(target, transport, n, channel);
  const connectSeconds = (Date.now() - t0) / 1000;
  await sleep(settleMs);
  const after = await rssSample(target, ctx);
  const per = (a, b) => (a == null || b == null ? null : Math.round((a - b) / subs.ready));
  const result = {
    transport,
    subscribers: subs.ready,
    connectSeconds: Math.round(connectSeconds * 10) / 10,
    loadavg: os.loadavg()[0],
    rssBefore: before,
    rssAfter: after,
    bytesPerConnection: per(after.servers, before.servers),
    redisBytesPerConnection: target.usesRedis ? per(after.redis, before.redis) : null,
    totalBytesPerConnection: per(after.total, before.total),
    perProcessBytesPerConnection: Object.fromEntries(Object.keys(after.perProcess).map((k) => [k, per(after.perProcess[k], before.perProcess[k])])),
  };
  return { result, subs };
}
