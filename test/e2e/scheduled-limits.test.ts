import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { call, callOk, createTenant, startStack, waitFor, type Reply, type Stack, type Tenant } from '@herald/testing';

// Issue 13 item 5: 1,000 scheduled publishes of 30 KB were accepted in 6 s on a 20/s free plan, all 202,
// and messagesToday did not move.
let stack: Stack;
let db: pg.Client;
before(async () => {
  stack = await startStack({ gateways: 0 });
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
});
after(async () => {
  await db?.end();
  await stack?.stop();
});

const schedule = (t: Tenant, body: Record<string, unknown>) => call<{ id: string; status: string; reason?: string }>(stack.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: body });
const reasonOf = (r: Reply) => `${r.status} ${(r.body as { reason?: string }).reason ?? ''}`.trim();
const messagesToday = async (t: Tenant) => (await callOk<{ messagesToday: number }>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/usage`, { token: t.token })).messagesToday;
const BIG = 'x'.repeat(30_000);

test('a flood of scheduled publishes on the free plan: the rate holds (429 + Retry-After), only the accepted ones are counted', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'free' });
  const answers = await Promise.all(Array.from({ length: 150 }, (_, i) => schedule(t, { channel: 'later', message: `${i}${BIG}`, delay: 3_600_000 })));
  const accepted = answers.filter((r) => r.status === 202);
  const limited = answers.filter((r) => reasonOf(r) === '429 rate_limited');
  // On a slow machine the burst may spread over enough seconds to reach the free plan's 100 waiting.
  const full = answers.filter((r) => reasonOf(r) === '409 too_many_scheduled');
  assert.equal(accepted.length + limited.length + full.length, 150, [...new Set(answers.map(reasonOf))].join(', '));
  assert.ok(limited.length > 0, 'not every one of 150 in a burst fits 20 per second');
  assert.ok(limited.every((r) => r.headers.get('retry-after') === '1'));
  assert.ok(accepted.length <= 100, `${accepted.length} waiting on a plan that allows 100`);
  assert.equal(await messagesToday(t), accepted.length, 'each accepted scheduled message counts toward the day, refused ones do not');
});

test('pending scheduled messages are capped per plan (409 too_many_scheduled); a cancel or a publish frees a place; firing bills nothing more', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'free' });
  const plan = `t-${randomBytes(4).toString('hex')}`;
  await db.query(
    `INSERT INTO "Plan" (id, name, "maxConnections", "maxMessagesPerDay", "maxPublishesPerSecond", "maxPayloadBytes", "historySize", "historyTtlSeconds", "maxChannelsPerConnection", "anyOrigin", "maxScheduledPending")
     VALUES ($1, $1, 100, NULL, 1000, 65536, 100, 3600, 100, true, 3)`,
    [plan],
  );
  await db.query('UPDATE "App" SET "planId" = $1 WHERE id = $2', [plan, t.appId]);
  // The app's keys were never used before the move, so no process holds the old plan in its key cache.
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await schedule(t, { channel: 'later', message: i, delay: 3_600_000 });
    assert.equal(r.status, 202, reasonOf(r));
    ids.push(r.body.id);
  }
  const over = await schedule(t, { channel: 'later', message: 'one too many', delay: 3_600_000 });
  assert.equal(reasonOf(over), '409 too_many_scheduled');
  // Concurrent calls cannot overshoot it either.
  const burst = await Promise.all(Array.from({ length: 10 }, () => schedule(t, { channel: 'later', message: 'x', delay: 3_600_000 })));
  assert.deepEqual([...new Set(burst.map(reasonOf))], ['409 too_many_scheduled']);
  const waiting = await callOk<unknown[]>(stack.apiUrl, 'GET', '/v1/scheduled?status=scheduled', { token: t.secret });
  assert.equal(waiting.length, 3);

  assert.equal((await call(stack.apiUrl, 'DELETE', `/v1/scheduled/${ids[2]}`, { token: t.secret })).status, 204);
  const before = await messagesToday(t);
  const soon = await schedule(t, { channel: 'soon', message: 'fires now', delay: 200 });
  assert.equal(soon.status, 202, reasonOf(soon));
  assert.equal(await messagesToday(t), before + 1, 'counted when accepted');
  await waitFor(async () => (await callOk<{ status: string }>(stack.apiUrl, 'GET', `/v1/scheduled/${soon.body.id}`, { token: t.secret })).status === 'published', { what: 'the scheduled publish' });
  assert.equal(await messagesToday(t), before + 1, 'not billed again when it fires');
  assert.equal((await schedule(t, { channel: 'later', message: 'its place is free again', delay: 3_600_000 })).status, 202);
});
