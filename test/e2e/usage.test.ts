import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { WebhookReceiver, WsClient, testRedisClient, call, callOk, createTenant, restPublish, startStack, waitFor, type Stack } from '@herald/testing';

// Roll-ups every 500 ms (TEST_TIMINGS) and retention every 500 ms.
let stack: Stack;
before(async () => {
  stack = await startStack({ workerEnv: { HERALD_RETENTION_INTERVAL_MS: '500' } });
});
after(async () => {
  await stack.stop();
});

interface UsageHistory {
  granularity: string;
  periods: Array<{ period: string; publishes: number; deliveries: number; webhookAttempts: number; peakConnections: number }>;
  total: { publishes: number; deliveries: number; webhookAttempts: number; peakConnections: number };
}

test('N published → the rolled-up usage shows N publishes, the matching deliveries, webhook attempts and peak connections', async () => {
  const t = await createTenant(stack.apiUrl);
  const rx = await WebhookReceiver.start();
  try {
    await callOk(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url: rx.url, events: ['message.published'] } });
    const subs = await Promise.all([0, 1, 2].map(() => WsClient.connect(stack.wsUrl(), t.commonKey)));
    for (const s of subs) await s.subscribe('metered');
    const N = 25;
    for (let i = 0; i < N; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'metered', message: i });
    await Promise.all(subs.map((s) => s.waitForMessages(N, 'metered')));
    await rx.waitForEvents(N, 'message.published');
    const attempts = rx.requests.length;

    const read = (granularity: string) => callOk<UsageHistory>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/usage/history?granularity=${granularity}`, { token: t.token });
    await waitFor(async () => {
      const u = (await read('day')).total;
      return u.publishes === N && u.deliveries === 3 * N && u.webhookAttempts === attempts;
    }, { timeoutMs: 10_000, what: 'roll-up' });
    const day = await read('day');
    assert.equal(day.periods.length, 1);
    assert.equal(day.periods[0].period, new Date().toISOString().slice(0, 10));
    assert.deepEqual(day.total, { ...day.total, publishes: N, deliveries: 3 * N, webhookAttempts: attempts, peakConnections: 3 });
    const minutes = await read('minute');
    assert.equal(minutes.total.publishes, N);
    assert.equal(minutes.total.deliveries, 3 * N);
    // The live counter (publishes + deliveries, the daily quota) agrees.
    const live = await callOk<{ messagesToday: number }>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/usage`, { token: t.token });
    assert.equal(live.messagesToday, N + 3 * N);
    // Another account sees nothing of it.
    const other = await createTenant(stack.apiUrl);
    assert.equal((await call(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/usage/history`, { token: other.token })).status, 404);
    subs.forEach((s) => s.close());
  } finally {
    await rx.stop();
  }
});

test('retention trims history streams to the app window and the archive to the plan retention', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'free', historyTtlSeconds: 1 });
  for (let i = 0; i < 5; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'short', message: i });
  const redis = testRedisClient(stack.env);
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    const stream = `${stack.prefix}{${t.appId}|short}:hist`;
    await waitFor(async () => (await redis.xlen(stream)) === 5, { what: 'appended' });
    // Entries older than the app's 1 s window are trimmed by the job, not only hidden from reads.
    await waitFor(async () => (await redis.xlen(stream)) === 0, { timeoutMs: 10_000, what: 'stream trimmed' });

    // The free plan keeps the archive 7 days: an 8-day-old row goes, a 1-day-old row stays.
    const day = 86_400_000;
    for (const [offset, age] of [[100, 8 * day], [101, day]]) {
      await db.query(
        `INSERT INTO "ArchivedMessage" ("appId", "channel", "epoch", "offset", "messageId", "content", "publishedAt") VALUES ($1, 'old', 'e1', $2, $3, '"x"', $4)`,
        [t.appId, offset, `old-${offset}`, new Date(Date.now() - age)],
      );
    }
    await waitFor(async () => (await db.query(`SELECT "offset" FROM "ArchivedMessage" WHERE "appId" = $1 AND channel = 'old'`, [t.appId])).rows.length === 1, { timeoutMs: 10_000, what: 'archive trimmed' });
    const left = await db.query(`SELECT "offset" FROM "ArchivedMessage" WHERE "appId" = $1 AND channel = 'old'`, [t.appId]);
    assert.deepEqual(left.rows.map((r: { offset: string }) => Number(r.offset)), [101]);
  } finally {
    redis.disconnect();
    await db.end();
  }
});
