// S-webhooks for scripts/bench.mjs (`npm run bench -- --only webhooks`): its own stack (API + 1 gateway
// + 1 worker, production timings) with one event per delivery, so what is measured is deliveries — one
// signed POST each, every attempt logged in Postgres — not events coalesced into a few requests.
//
//   throughput   N messages published over REST (C keep-alive publishers, 50 channels) to an app whose
//                webhook (message.published) points at a local receiver answering 204; deliveries/s
//                from the first delivery to the last, and end to end (first publish to last delivery);
//                publish → delivery latency; lost and duplicated event ids.
//   punctuality  M scheduled publishes (`at`), spread over 2 s and then M more all due at one instant;
//                a WebSocket subscriber records arrival − due time (never negative is the contract).
//
// Env: BENCH_WEBHOOK_MESSAGES (5000), BENCH_WEBHOOK_CONCURRENCY (32), BENCH_SCHEDULED (300).
import http from 'node:http';

const intEnv = (name, def) => {
  const n = Number(process.env[name] ?? def);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
};

function percentiles(values) {
  const v = [...values].sort((a, b) => a - b);
  const at = (p) => (v.length ? Math.round(v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))] * 10) / 10 : null);
  return { p50: at(50), p90: at(90), p99: at(99), max: v.length ? Math.round(v[v.length - 1] * 10) / 10 : null, min: v.length ? Math.round(v[0] * 10) / 10 : null };
}

/** A receiver that answers 204 at once and records each event's id and arrival time. */
async function startReceiver(nowMs) {
  const events = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const at = nowMs();
      for (const e of JSON.parse(Buffer.concat(chunks).toString()).events) events.push({ id: e.id, at, t: e.data?.content?.t });
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    events,
    get requests() {
      return requests;
    },
    reset() {
      events.length = 0;
      requests = 0;
    },
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
  };
}

async function throughput({ lib, publisher, receiver, cpu, tag, count, concurrency }) {
  receiver.reset();
  const channels = Array.from({ length: 50 }, (_, k) => `bench-wh-${tag}-${k}`);
  const before = await cpu();
  const started = lib.nowMs();
  let next = 0;
  let accepted = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const r = await publisher.publish(channels[i % channels.length], { i, t: lib.nowMs() });
        if (r.status === 200) accepted++;
      }
    }),
  );
  const publishedIn = lib.nowMs() - started;
  await lib.until(() => receiver.events.length >= accepted, 120_000, `${accepted} deliveries`, { soft: true, intervalMs: 20 });
  const after = await cpu();
  const ev = receiver.events;
  const ids = new Set(ev.map((e) => e.id));
  const first = Math.min(...ev.map((e) => e.at));
  const last = Math.max(...ev.map((e) => e.at));
  const cpuPer1k = Object.fromEntries(Object.entries(lib.cpuPer1k(before, after, ev.length)).map(([k, v]) => [k, v?.per1k ?? null]));
  return {
    messages: count,
    accepted,
    delivered: ev.length,
    requests: receiver.requests,
    lost: accepted - ids.size,
    duplicates: ev.length - ids.size,
    publishSeconds: Math.round(publishedIn) / 1000,
    deliveriesPerSec: Math.round((ev.length / Math.max(1, last - first)) * 1000),
    endToEndPerSec: Math.round((ev.length / Math.max(1, last - started)) * 1000),
    latencyMs: percentiles(ev.filter((e) => Number.isFinite(e.t)).map((e) => e.at - e.t)),
    cpuSecondsPer1kDeliveries: cpuPer1k,
  };
}

async function punctuality({ lib, stack, tenant, tag, count }) {
  const channel = `bench-sched-${tag}`;
  const sub = await lib.openSubscriber(stack.wsUrl(), tenant.subscribeKey, [channel]);
  const arrivals = new Map();
  sub.ws.on('message', (d) => {
    const f = JSON.parse(d.toString());
    if (f.type === 'message' && !arrivals.has(f.id)) arrivals.set(f.id, Date.now());
  });
  const due = new Map();
  // Scheduling itself takes time (16 calls in flight): the first is due only after all are in.
  const base = Date.now() + 3000 + count * 10;
  const schedule = async (id, at) => {
    const res = await fetch(`${stack.apiUrl}/v1/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel, message: { id }, id, at }),
    });
    if (res.status !== 202) throw new Error(`schedule ${id}: ${res.status} ${await res.text()}`);
    due.set(id, at);
  };
  // Spread: one every 2000/count ms. Burst: count more all due at the same instant.
  const burstAt = base + 2500;
  const jobs = [
    ...Array.from({ length: count }, (_, i) => () => schedule(`spread-${tag}-${i}`, base + Math.floor((i * 2000) / count))),
    ...Array.from({ length: count }, (_, i) => () => schedule(`burst-${tag}-${i}`, burstAt)),
  ];
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < jobs.length) await jobs[next++]();
  }));
  if (Date.now() > base) throw new Error('scheduling took longer than the lead time; lower BENCH_SCHEDULED');
  await lib.until(() => arrivals.size >= due.size, due.size * 50 + 15_000, 'scheduled messages', { soft: true, intervalMs: 20 });
  await sub.close();
  const lateness = (prefix) => [...due].filter(([id]) => id.startsWith(prefix) && arrivals.has(id)).map(([id, at]) => arrivals.get(id) - at);
  const spread = lateness('spread-');
  const burst = lateness('burst-');
  return {
    scheduled: due.size,
    received: arrivals.size,
    early: [...spread, ...burst].filter((ms) => ms < 0).length,
    spreadLatenessMs: percentiles(spread),
    burstLatenessMs: percentiles(burst),
    withinOneSecond: [...spread, ...burst].filter((ms) => ms >= 0 && ms <= 1000).length,
  };
}

/**
 * Runs S-webhooks `runs` times on a stack of its own; returns one result per run. `env` is the bench's
 * stack environment (production timings, database, Redis); `log` prints a line.
 */
export async function webhookBench({ testing, lib, env, timings, runs, step, note }) {
  const cfg = { count: intEnv('BENCH_WEBHOOK_MESSAGES', 5000), concurrency: intEnv('BENCH_WEBHOOK_CONCURRENCY', 32), scheduled: intEnv('BENCH_SCHEDULED', 300) };
  step(`S-webhooks: starting its own stack (one event per delivery)`);
  // The receiver is local: the SSRF guard must let it through.
  const stack = await testing.startStack({ gateways: 1, workers: 1, timings, env: { ...env, HERALD_WEBHOOKS_ALLOW_PRIVATE: 'true', HERALD_WEBHOOK_MAX_EVENTS: '1', HERALD_WEBHOOK_CACHE_MS: '500' } });
  const receiver = await startReceiver(lib.nowMs);
  const results = [];
  let publisher;
  try {
    const tenant = await testing.createTenant(stack.apiUrl, { planId: 'demo' });
    const made = await fetch(`${stack.apiUrl}/v1/apps/${tenant.appId}/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, events: ['message.published'] }),
    });
    if (made.status !== 201) throw new Error(`webhook: ${made.status} ${await made.text()}`);
    const quiet = await testing.createTenant(stack.apiUrl, { planId: 'demo' });
    publisher = lib.makePublisher(stack.apiUrl, tenant.secret, { sockets: cfg.concurrency });
    const pids = { api: stack.api.proc.pid, gateway: stack.gateways[0].proc.pid, worker: stack.workers[0].proc.pid };
    const cpu = async () => lib.cpuSnapshot(pids, []);
    const tag = Date.now().toString(36);
    await throughput({ lib, publisher, receiver, cpu, tag: `${tag}-warm`, count: 500, concurrency: cfg.concurrency });
    for (let r = 1; r <= runs; r++) {
      step(`S-webhooks run ${r}/${runs}: ${cfg.count} messages → ${cfg.count} deliveries; ${cfg.scheduled} + ${cfg.scheduled} scheduled publishes`);
      const t = await throughput({ lib, publisher, receiver, cpu, tag: `${tag}-${r}`, count: cfg.count, concurrency: cfg.concurrency });
      // Its own tenant, without webhooks: punctuality of the scheduler itself.
      const p = await punctuality({ lib, stack, tenant: quiet, tag: `${tag}-${r}`, count: cfg.scheduled });
      results.push({ run: r, throughput: t, punctuality: p });
      note(
        `webhooks: ${t.deliveriesPerSec} deliveries/s (end to end ${t.endToEndPerSec}/s), latency p50 ${t.latencyMs.p50} ms p99 ${t.latencyMs.p99} ms, ` +
          `delivered ${t.delivered}/${t.accepted}, lost ${t.lost}, dups ${t.duplicates}; worker CPU-s/1k ${t.cpuSecondsPer1kDeliveries.worker}`,
      );
      note(
        `scheduled: ${p.received}/${p.scheduled} received, early ${p.early}, within 1 s ${p.withinOneSecond}; lateness spread p50 ${p.spreadLatenessMs.p50} ms p99 ${p.spreadLatenessMs.p99} ms max ${p.spreadLatenessMs.max} ms; ` +
          `burst of ${cfg.scheduled} p50 ${p.burstLatenessMs.p50} ms p99 ${p.burstLatenessMs.p99} ms max ${p.burstLatenessMs.max} ms`,
      );
    }
  } finally {
    publisher?.close();
    await receiver.close();
    await stack.stop();
  }
  return results;
}
