import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestRedis, WsClient, createTenant, restPublish, startStack, waitFor, type Frame, type Stack } from '@herald/testing';

// Each test runs the service against a Redis of its own, so it can flush it or kill it.
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function stackOn(redis: TestRedis): Promise<Stack> {
  const stack = await startStack({ env: { REDIS_URL: redis.url } });
  cleanups.push(() => stack.stop());
  return stack;
}

/** Publishes with the same id until accepted: what a careful publisher does while Redis is away. */
async function publishUntilAccepted(stack: Stack, secret: string, channel: string, id: string, message: unknown) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await restPublish(stack.apiUrl, secret, { channel, message, id });
    } catch (e) {
      if (attempt > 200) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test('history lost (Redis flushed) → a new epoch, and resuming subscribers get recovered: false', async () => {
  const redis = await TestRedis.start();
  cleanups.push(() => redis.stop());
  const stack = await stackOn(redis);
  const t = await createTenant(stack.apiUrl);
  const ws = await WsClient.connect(stack.wsUrl(), t.commonKey);
  const sub = await ws.subscribe('c');
  for (let i = 0; i < 5; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: i });
  const seen = await ws.waitForMessages(5);
  ws.close();

  const admin = redis.client();
  await admin.flushall();
  admin.disconnect();

  const after = await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: 'after flush' });
  assert.notEqual(after.epoch, sub.epoch);
  assert.equal(after.offset, 1);
  const back = await WsClient.connect(stack.wsUrl(), t.commonKey);
  const resumed = await back.subscribe('c', { offset: seen[4].offset as number, epoch: sub.epoch as string });
  assert.equal(resumed.recovered, false);
  assert.equal(resumed.epoch, after.epoch);
  back.close();
});

test('a live subscriber is told (reset) when its channel history is lost under it', async () => {
  const redis = await TestRedis.start();
  cleanups.push(() => redis.stop());
  const stack = await stackOn(redis);
  const t = await createTenant(stack.apiUrl);
  const ws = await WsClient.connect(stack.wsUrl(), t.commonKey);
  await ws.subscribe('c');
  await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: 'one' });
  await ws.waitForMessages(1);
  const admin = redis.client();
  await admin.flushall();
  admin.disconnect();
  const next = await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: 'two' });
  await ws.waitForMessages(2);
  const reset = ws.frames.find((f) => f.type === 'reset');
  assert.ok(reset, 'no reset frame');
  assert.equal(reset.epoch, next.epoch);
  const types = ws.frames.filter((f) => f.type === 'message' || f.type === 'reset').map((f) => f.type);
  assert.deepEqual(types, ['message', 'reset', 'message']);
  ws.close();
});

test('Redis with AOF restarted mid-stream loses nothing that was accepted', async () => {
  const redis = await TestRedis.start({ aof: true });
  cleanups.push(() => redis.stop());
  const stack = await stackOn(redis);
  const t = await createTenant(stack.apiUrl);
  const live = await WsClient.connect(stack.wsUrl(), t.commonKey);
  const sub = await live.subscribe('c');
  const accepted: Array<{ id: string; offset: number }> = [];
  for (let i = 0; i < 200; i++) {
    if (i === 100) await redis.restart();
    const r = await publishUntilAccepted(stack, t.secret, 'c', `m-${i}`, { i });
    assert.equal(r.epoch, sub.epoch, 'epoch changed across an AOF restart');
    accepted.push({ id: r.id, offset: r.offset });
  }
  assert.deepEqual(accepted.map((a) => a.offset), Array.from({ length: 200 }, (_, i) => i + 1));

  // Everything accepted is in history, once, in order: a subscriber resuming from the start gets it all.
  const check = await WsClient.connect(stack.wsUrl(), t.commonKey);
  await waitFor(async () => {
    const r = await fetch(`${stack.apiUrl}/v1/channels/c/history?limit=1`, { headers: { authorization: `Bearer ${t.secret}` } });
    return ((await r.json()) as { offset: number }).offset === 200;
  }, { timeoutMs: 15_000, what: 'all 200 appended' });
  const resumed = await check.subscribe('c', { offset: 0, epoch: sub.epoch as string });
  assert.equal(resumed.recovered, true);
  const replay = await check.waitForMessages(200);
  assert.deepEqual(replay.map((m) => m.id), accepted.map((a) => a.id));

  // The live subscriber saw no duplicate and no disorder (its gateway re-synced after the restart).
  await live.waitForMessages(200, 'c', 15_000);
  const offsets = live.messages().map((m: Frame) => m.offset as number);
  assert.deepEqual(offsets, Array.from({ length: 200 }, (_, i) => i + 1));
  live.close();
  check.close();
});
