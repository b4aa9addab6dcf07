#!/usr/bin/env node
// Web Push deliveries per second to the local RFC 8030 push service (libs/testing/src/push-service.ts),
// on a stack of its own (API + 1 gateway + 1 worker, default timings except private endpoints allowed):
// S subscriptions on one channel, M publishes with push, so S × M deliveries — each one encrypted
// (aes128gcm) and VAPID-signed by the worker, checked and decrypted by the push service, logged in
// Postgres. Reports deliveries/s from the first delivery to the last, end to end (first publish to
// last delivery), publish → delivery latency, and lost or duplicated deliveries.
//
//   npm run build && node bench/push.mjs
//   Env: BENCH_PUSH_SUBSCRIPTIONS (200), BENCH_PUSH_MESSAGES (10), DATABASE_URL (server; database herald_bench,
//   created and migrated here) and REDIS_URL as for npm run bench.

import { intEnv, useBenchDatabase } from './lib.mjs';

// Its own database (herald_bench, as `npm run bench`): the stack's processes read DATABASE_URL.
await useBenchDatabase();

const testing = await import('../dist/libs/testing/src/index.js');
const { startStack, createTenant, LocalPushService, waitFor } = testing;

const subscriptions = intEnv('BENCH_PUSH_SUBSCRIPTIONS', 200);
const messages = intEnv('BENCH_PUSH_MESSAGES', 10);
const total = subscriptions * messages;

function percentiles(values) {
  const v = [...values].sort((a, b) => a - b);
  const at = (p) => (v.length ? Math.round(v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))]) : null);
  return { p50: at(50), p90: at(90), p99: at(99), max: v.length ? Math.round(v[v.length - 1]) : null };
}

const [stack, service] = await Promise.all([
  startStack({ timings: 'defaults', env: { HERALD_WEBHOOKS_ALLOW_PRIVATE: 'true', HERALD_LOG_LEVEL: 'warn' }, startTimeoutMs: 60_000 }),
  LocalPushService.start(),
]);
try {
  const t = await createTenant(stack.apiUrl);
  const subs = Array.from({ length: subscriptions }, () => service.subscriber());
  for (let i = 0; i < subs.length; i += 20) {
    await Promise.all(
      subs.slice(i, i + 20).map(async (s) => {
        const r = await fetch(`${stack.apiUrl}/v1/push/subscriptions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ appkey: t.commonKey, subscription: s.json, channels: ['bench-push'] }),
        });
        if (r.status !== 201) throw new Error(`subscribe: ${r.status} ${await r.text()}`);
      }),
    );
  }
  const sentAt = new Map();
  const started = Date.now();
  for (let m = 0; m < messages; m++) {
    const id = `bench-${m}`;
    sentAt.set(id, Date.now());
    const r = await fetch(`${stack.apiUrl}/v1/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'bench-push', message: { m }, id, push: { title: `Message ${m}`, body: 'x'.repeat(100) } }),
    });
    if (r.status !== 200) throw new Error(`publish: ${r.status} ${await r.text()}`);
  }
  const delivered = () => service.received.filter((r) => r.status === 201);
  await waitFor(() => delivered().length >= total, { timeoutMs: 600_000, intervalMs: 50, what: `${total} deliveries` });
  const got = delivered();
  const keys = new Set(got.map((r) => `${r.subscriber}|${JSON.parse(r.plaintext).id}`));
  const first = Math.min(...got.map((r) => r.at));
  const last = Math.max(...got.map((r) => r.at));
  const result = {
    subscriptions,
    messages,
    deliveries: got.length,
    refused: service.received.filter((r) => r.status !== 201).length,
    lost: total - keys.size,
    duplicates: got.length - keys.size,
    deliveriesPerSec: Math.round((got.length / Math.max(1, last - first)) * 1000),
    endToEndPerSec: Math.round((got.length / Math.max(1, last - started)) * 1000),
    latencyMs: percentiles(got.map((r) => r.at - sentAt.get(JSON.parse(r.plaintext).id))),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await service.stop();
  await stack.stop();
}
