// S-transports: publish→deliver latency for one subscriber per transport (WebSocket, SSE, long-polling)
// on one channel, with REST publishes at a fixed open-loop rate. Subscribers for SSE (the `eventsource`
// package, a real WHATWG EventSource) and long-polling (node:http, one keep-alive socket, the cursor
// carried from answer to request) live here; the WebSocket one is lib.mjs's openSubscriber.
import http from 'node:http';
import { EventSource } from 'eventsource';
import { checkOffsets, cpuPer1k, newHistogram, nowMs, openSubscriber, sleep, summarize, until } from './lib.mjs';

export const TRANSPORTS = ['ws', 'sse', 'poll'];

const r1 = (x) => Math.round(x * 10) / 10;
const usec = (ms) => Math.max(1, Math.round(ms * 1000));

function assertLocal(url) {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1') throw new Error(`bench traffic must stay on 127.0.0.1 (got ${u.hostname})`);
  return u;
}

/** Records one delivered message frame into a subscriber state (latency from payload `t`, offset). */
function record(state, f, at) {
  state.received++;
  state.lastAt = at;
  const t = Number(f.content?.t);
  if (Number.isFinite(t)) state.hist.recordValue(usec(at - t));
  // Date.now() on both sides (the API stamps `time` with it): 1 ms resolution.
  if (Number.isFinite(f.time)) state.fromServerHist.recordValue(Math.max(1, (Date.now() - f.time) * 1000));
  state.offsets.get(f.channel)?.push(f.offset);
}

function newState(channel) {
  return { received: 0, hist: newHistogram(), fromServerHist: newHistogram(), offsets: new Map([[channel, []]]), errors: [], lastAt: 0 };
}

// --- SSE ------------------------------------------------------------------------------------------

/** One EventSource on `GET /sse?appkey&channel`; resolves once the `subscribed` event arrived. */
export async function openSseSubscriber(gatewayUrl, appkey, channel, { timeoutMs = 15_000 } = {}) {
  assertLocal(gatewayUrl);
  const state = newState(channel);
  const es = new EventSource(`${gatewayUrl}/sse?appkey=${encodeURIComponent(appkey)}&channel=${encodeURIComponent(channel)}`);
  let subscribed = false;
  let opens = 0;
  es.addEventListener('open', () => opens++);
  es.addEventListener('subscribed', () => (subscribed = true));
  es.onmessage = (e) => {
    const at = nowMs();
    record(state, JSON.parse(e.data), at);
  };
  for (const name of ['herald-error', 'disconnect', 'reset']) es.addEventListener(name, (e) => state.errors.push({ type: name, data: e.data }));
  es.onerror = (e) => state.errors.push({ type: 'eventsource-error', message: e.message, code: e.code });
  await until(() => subscribed || state.errors.length > 0, timeoutMs, 'SSE subscribed event');
  if (!subscribed) {
    es.close();
    throw new Error(`SSE subscribe failed: ${JSON.stringify(state.errors.slice(0, 3))}`);
  }
  // More than one `open` = the EventSource reconnected during the run (it resumes by Last-Event-ID).
  state.stats = () => ({ reconnects: Math.max(0, opens - 1) });
  state.close = async () => es.close();
  return state;
}

// --- Long-polling ---------------------------------------------------------------------------------

/**
 * A long-polling loop on `GET /poll`: a first `wait=0` poll takes the starting cursor, then each poll
 * carries the previous answer's cursor and is held by the gateway until messages arrive. All messages
 * of one answer share its arrival time. Besides latency it records the request churn: polls, messages
 * per answer, and each poll's round trip (request written → answer parsed).
 */
export async function openPollSubscriber(gatewayUrl, appkey, channel, { timeoutMs = 15_000, churnSamples = 50 } = {}) {
  const u = assertLocal(gatewayUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  const state = newState(channel);
  const base = `/poll?appkey=${encodeURIComponent(appkey)}&channel=${encodeURIComponent(channel)}`;
  let current;
  const get = (path) =>
    new Promise((resolve) => {
      const req = http.get({ agent, host: '127.0.0.1', port: Number(u.port), path, timeout: 60_000 }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          let body;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString());
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode, body });
        });
        res.on('error', (e) => resolve({ status: 0, error: e.message }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ status: 0, error: e.message }));
      current = req;
    });

  const first = await Promise.race([get(`${base}&wait=0`), sleep(timeoutMs).then(() => ({ status: 0, error: 'timeout' }))]);
  if (first.status !== 200 || typeof first.body?.cursor !== 'string') {
    agent.destroy();
    throw new Error(`first poll failed: ${first.status} ${first.error ?? JSON.stringify(first.body)}`);
  }
  let cursor = first.body.cursor;

  // The fixed cost of one poll with nothing to deliver (auth, session, subscribe-from-cursor, answer):
  // sequential `wait=0` polls at the channel's tip, before any message is published.
  const churn = newHistogram();
  for (let k = 0; k < churnSamples; k++) {
    const s = performance.now();
    const r = await get(`${base}&wait=0&cursor=${encodeURIComponent(cursor)}`);
    if (r.status !== 200) break;
    churn.recordValue(usec(performance.now() - s));
  }

  const rtt = newHistogram(); // round trip of every measured poll (held or not)
  const perPoll = newHistogram(); // messages per answer (values are counts, not µs)
  let polls = 0;
  let empty = 0;
  let failures = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const s = performance.now();
      const r = await get(`${base}&cursor=${encodeURIComponent(cursor)}`);
      const at = nowMs();
      if (stopped) return;
      if (r.status !== 200 || !Array.isArray(r.body?.frames)) {
        failures++;
        if (state.errors.length < 5) state.errors.push({ type: 'poll-failed', status: r.status, error: r.error, body: r.body });
        await sleep(100);
        continue;
      }
      polls++;
      rtt.recordValue(usec(performance.now() - s));
      let messages = 0;
      for (const f of r.body.frames) {
        if (f.type === 'message') {
          messages++;
          record(state, f, at);
        } else if (state.errors.length < 5) state.errors.push(f);
      }
      if (messages) perPoll.recordValue(messages);
      else empty++;
      cursor = r.body.cursor;
    }
  })();
  state.stats = () => ({
    polls,
    emptyAnswers: empty,
    failedPolls: failures,
    messagesPerAnswer: perPoll.totalCount
      ? { mean: r1(perPoll.mean), p50: perPoll.getValueAtPercentile(50), p90: perPoll.getValueAtPercentile(90), max: perPoll.maxValue }
      : { mean: 0 },
    pollRoundTripMs: summarize(rtt),
    emptyPollMs: summarize(churn),
  });
  state.close = async () => {
    stopped = true;
    current?.destroy();
    await Promise.race([loop, sleep(2000)]);
    agent.destroy();
  };
  return state;
}

// --- The scenario ---------------------------------------------------------------------------------

export async function openTransportSubscriber(ctx, transport, channel) {
  if (transport === 'ws') {
    const s = await openSubscriber(ctx.wsUrl, ctx.subscribeKey, [channel]);
    s.stats = () => ({});
    return s;
  }
  if (transport === 'sse') return openSseSubscriber(ctx.gatewayUrl, ctx.subscribeKey, channel);
  if (transport === 'poll') return openPollSubscriber(ctx.gatewayUrl, ctx.subscribeKey, channel);
  throw new Error(`unknown transport ${transport}`);
}

/**
 * Open-loop REST publishing: message i is sent at t0 + i/rate whatever earlier answers did. Records
 * the answers (status, offsets), how late the sender ran, the in-flight peak, the dispatch rate
 * (messages ÷ first-to-last send) and the accepted rate (200s ÷ first send to last answer).
 */
async function openLoopPublish(publisher, channel, count, rate) {
  const log = { statuses: {}, errors: [], accepted: new Map([[channel, []]]), ok: 0, hist: newHistogram() };
  const lag = newHistogram();
  const interval = 1000 / rate;
  const inflight = [];
  let open = 0;
  let maxInflight = 0;
  let lastAnswer = 0;
  const t0 = performance.now() + 5;
  let firstSend = 0;
  let lastSend = 0;
  let i = 0;
  // Bounded: i only grows, and each pass sends every message already due.
  while (i < count) {
    const now = performance.now();
    const due = Math.min(count, Math.floor((now - t0) / interval) + 1);
    while (i < due) {
      const sendAt = performance.now();
      lag.recordValue(usec(sendAt - (t0 + i * interval)));
      if (i === 0) firstSend = sendAt;
      lastSend = sendAt;
      const n = i++;
      open++;
      if (open > maxInflight) maxInflight = open;
      inflight.push(
        publisher.publish(channel, { t: nowMs(), i: n }).then((res) => {
          open--;
          lastAnswer = performance.now();
          const key = String(res.status);
          log.statuses[key] = (log.statuses[key] ?? 0) + 1;
          log.hist.recordValue(usec(res.ms));
          if (res.status === 200 && typeof res.body?.offset === 'number') {
            log.ok++;
            log.accepted.get(channel).push(res.body.offset);
          } else if (log.errors.length < 5) log.errors.push({ status: res.status, error: res.error, body: res.body });
        }),
      );
    }
    if (i < count) await sleep(Math.max(0, t0 + i * interval - performance.now()));
  }
  await Promise.all(inflight);
  return {
    log,
    lag,
    maxInflight,
    sendSeconds: (lastSend - firstSend) / 1000,
    dispatchRate: count > 1 ? r1((count - 1) / ((lastSend - firstSend) / 1000)) : null,
    acceptedRate: r1(log.ok / ((lastAnswer - firstSend) / 1000)),
  };
}

/** Average cores used by all measured processes over `seconds`. */
function coresBusy(before, after, seconds) {
  const used = Object.values(cpuPer1k(before, after, 1000)).reduce((t, v) => t + (v?.cpuSeconds ?? 0), 0);
  return Math.round((used / seconds) * 100) / 100;
}

/** One run of one transport: fresh channel, fresh subscriber, `count` messages at `rate` msg/s. */
export async function transportRun(ctx, transport, { channel, count, rate, drainTimeoutMs = 30_000 }) {
  const sub = await openTransportSubscriber(ctx, transport, channel);
  try {
    const cpuBefore = await ctx.cpu();
    const wallStart = nowMs();
    const pub = await openLoopPublish(ctx.transportPublisher, channel, count, rate);
    const drained = await until(() => sub.received >= pub.log.ok, drainTimeoutMs, `${transport} drain`, { soft: true });
    await sleep(200); // late duplicates would show up here
    const cpuAfter = await ctx.cpu();
    return {
      transport,
      channel,
      messages: count,
      targetRate: rate,
      achievedSendRate: pub.dispatchRate,
      acceptedRate: pub.acceptedRate,
      maxInflight: pub.maxInflight,
      publisherSockets: ctx.transportSockets,
      accepted: pub.log.ok,
      statuses: pub.log.statuses,
      publishErrors: pub.log.errors,
      received: sub.received,
      drained,
      latencyMs: summarize(sub.hist),
      fromServerTimeMs: summarize(sub.fromServerHist),
      publishAnswerMs: summarize(pub.log.hist),
      schedulerLagMs: summarize(pub.lag),
      ...checkOffsets(pub.log.accepted, sub.offsets),
      subscriberErrors: sub.errors.slice(0, 5),
      transportStats: sub.stats(),
      cpu: cpuPer1k(cpuBefore, cpuAfter, count),
      coresBusy: coresBusy(cpuBefore, cpuAfter, (nowMs() - wallStart) / 1000),
    };
  } finally {
    await sub.close();
  }
}
