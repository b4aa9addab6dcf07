// The two benchmark scenarios. Each takes a context { wsUrl, subscribeKey, publisher, cpu() } and
// returns one run's raw results. Every wait is bounded.
import { checkOffsets, cpuPer1k, newHistogram, nowMs, openSubscriber, sleep, summarize, until } from './lib.mjs';

const r1 = (x) => Math.round(x * 10) / 10;

/** Average cores used by all measured processes (servers, Redis, Postgres backends, bench) over `seconds`. */
function coresBusy(before, after, seconds) {
  const used = Object.values(cpuPer1k(before, after, 1000)).reduce((t, v) => t + (v?.cpuSeconds ?? 0), 0);
  return Math.round((used / seconds) * 100) / 100;
}

/** Records one REST answer: status counts, accepted offsets per channel, answer time. */
function makeAcceptLog() {
  const log = { statuses: {}, errors: [], accepted: new Map(), ok: 0, hist: newHistogram() };
  log.add = (channel, res) => {
    const key = String(res.status);
    log.statuses[key] = (log.statuses[key] ?? 0) + 1;
    log.hist.recordValue(Math.max(1, Math.round(res.ms * 1000)));
    if (res.status === 200 && res.body && typeof res.body.offset === 'number') {
      log.ok++;
      if (!log.accepted.has(channel)) log.accepted.set(channel, []);
      log.accepted.get(channel).push(res.body.offset);
    } else if (log.errors.length < 5) {
      log.errors.push({ status: res.status, error: res.error, body: res.body });
    }
  };
  return log;
}

/**
 * S-lat: one subscriber on one channel; `count` messages published open-loop at `rate` msg/s (each
 * send is scheduled at t0 + i/rate whatever earlier answers did). Latency = receive − payload t.
 */
export async function latencyRun(ctx, { channel, count, rate, drainTimeoutMs = 20_000 }) {
  const sub = await openSubscriber(ctx.wsUrl, ctx.subscribeKey, [channel]);
  const log = makeAcceptLog();
  const lag = newHistogram();
  const interval = 1000 / rate;
  const inflight = [];
  const cpuBefore = await ctx.cpu();
  const t0 = performance.now() + 5;
  const wallStart = nowMs();
  let i = 0;
  // Bounded: i only grows, and each pass sends every message already due.
  while (i < count) {
    const now = performance.now();
    const due = Math.min(count, Math.floor((now - t0) / interval) + 1);
    while (i < due) {
      lag.recordValue(Math.max(1, Math.round((now - (t0 + i * interval)) * 1000)));
      const n = i++;
      inflight.push(ctx.publisher.publish(channel, { t: nowMs(), i: n }).then((res) => log.add(channel, res)));
    }
    if (i < count) await sleep(Math.max(0, t0 + i * interval - performance.now()));
  }
  const sendSeconds = (nowMs() - wallStart) / 1000;
  await Promise.all(inflight);
  const drained = await until(() => sub.received >= log.ok, drainTimeoutMs, 'latency drain', { soft: true });
  await sleep(200); // late duplicates would show up here
  const cpuAfter = await ctx.cpu();
  await sub.close();
  return {
    channel,
    messages: count,
    targetRate: rate,
    achievedSendRate: r1(count / sendSeconds),
    accepted: log.ok,
    statuses: log.statuses,
    publishErrors: log.errors,
    received: sub.received,
    drained,
    latencyMs: summarize(sub.hist),
    publishAnswerMs: summarize(log.hist),
    schedulerLagMs: summarize(lag),
    ...checkOffsets(log.accepted, sub.offsets),
    subscriberErrors: sub.errors.slice(0, 5),
    cpu: cpuPer1k(cpuBefore, cpuAfter, count),
    coresBusy: coresBusy(cpuBefore, cpuAfter, (nowMs() - wallStart) / 1000),
  };
}

/**
 * S-rate: `count` messages over `channels`, published by `concurrency` closed-loop keep-alive
 * publishers; one WS connection subscribed to every channel. Accepted/s = count ÷ time to the last
 * 200; drained/s = count ÷ time until the subscriber has received them all.
 */
export async function rateRun(ctx, { channels, count, concurrency, drainTimeoutMs = 60_000 }) {
  const sub = await openSubscriber(ctx.wsUrl, ctx.subscribeKey, channels);
  const log = makeAcceptLog();
  const cpuBefore = await ctx.cpu();
  const t0 = nowMs();
  let next = 0;
  const publisherLoop = async () => {
    for (;;) {
      const n = next++;
      if (n >= count) return;
      const channel = channels[n % channels.length];
      log.add(channel, await ctx.publisher.publish(channel, { t: nowMs(), i: n }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, publisherLoop));
  const acceptedAt = nowMs();
  const drained = await until(() => sub.received >= log.ok, drainTimeoutMs, 'rate drain', { soft: true });
  const drainedAt = drained ? sub.lastAt : nowMs();
  await sleep(200);
  const cpuAfter = await ctx.cpu();
  await sub.close();
  const acceptSeconds = (acceptedAt - t0) / 1000;
  const drainSeconds = (drainedAt - t0) / 1000;
  return {
    messages: count,
    channels: channels.length,
    concurrency,
    accepted: log.ok,
    allAccepted: log.ok === count,
    statuses: log.statuses,
    publishErrors: log.errors,
    received: sub.received,
    drained,
    acceptSeconds: Math.round(acceptSeconds * 1000) / 1000,
    drainSeconds: Math.round(drainSeconds * 1000) / 1000,
    acceptedPerSec: r1(log.ok / acceptSeconds),
    drainedPerSec: drained ? r1(sub.received / drainSeconds) : null,
    latencyUnderLoadMs: summarize(sub.hist),
    publishAnswerMs: summarize(log.hist),
    ...checkOffsets(log.accepted, sub.offsets),
    subscriberErrors: sub.errors.slice(0, 5),
    cpu: cpuPer1k(cpuBefore, cpuAfter, count),
    coresBusy: coresBusy(cpuBefore, cpuAfter, (nowMs() - t0) / 1000),
  };
}
