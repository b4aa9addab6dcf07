import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WsClient, call, callOk, createTenant, startStack, waitFor, type Stack } from '@herald/testing';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack.stop();
});

interface Scheduled {
  id: string;
  channel: string;
  at: string;
  status: string;
  scheduled: boolean;
  duplicate: boolean;
}

const schedule = (secret: string, body: Record<string, unknown>) => call<Scheduled & { reason?: string }>(stack.apiUrl, 'POST', '/v1/publish', { token: secret, json: body });

/** Arrival time of each message on the client, by message id. */
function arrivals(ws: WsClient): Map<string, number> {
  const seen = new Map<string, number>();
  ws.ws.on('message', (d: Buffer) => {
    const f = JSON.parse(d.toString()) as { type: string; id?: string };
    if (f.type === 'message' && f.id && !seen.has(f.id)) seen.set(f.id, Date.now());
  });
  return seen;
}

test('a scheduled publish arrives no earlier than its time and within 1 s after; it is listed, then published', async () => {
  const t = await createTenant(stack.apiUrl);
  const ws = await WsClient.connect(stack.wsUrl(), t.commonKey);
  await ws.subscribe('orders');
  const seen = arrivals(ws);
  const at = Date.now() + 1500;
  const byAt = await schedule(t.secret, { channel: 'orders', message: { order: 42 }, id: 'dispatch-42', at });
  assert.equal(byAt.status, 202);
  assert.deepEqual([byAt.body.id, byAt.body.status, byAt.body.scheduled, Date.parse(byAt.body.at)], ['dispatch-42', 'scheduled', true, at]);
  const delayed = await schedule(t.secret, { channel: 'orders', message: 'by delay', delay: 1200 });
  assert.equal(delayed.status, 202);
  const atDelay = Date.parse(delayed.body.at);

  const listed = await callOk<Scheduled[]>(stack.apiUrl, 'GET', '/v1/scheduled', { token: t.secret });
  assert.deepEqual(listed.map((s) => s.id).sort(), ['dispatch-42', delayed.body.id].sort());

  await ws.waitForMessages(2, 'orders', 5_000);
  const got42 = seen.get('dispatch-42')!;
  const gotDelay = seen.get(delayed.body.id)!;
  assert.ok(got42 >= at, `arrived ${at - got42} ms early`);
  assert.ok(got42 - at <= 1000, `arrived ${got42 - at} ms late`);
  assert.ok(gotDelay >= atDelay && gotDelay - atDelay <= 1000, `delay: ${gotDelay - atDelay} ms off`);
  const frame = ws.messages('orders').find((m) => m.id === 'dispatch-42')!;
  assert.ok((frame.time as number) >= at);
  assert.deepEqual(frame.content, { order: 42 });

  // Subscribers get it when it is accepted; the worker marks the row published right after.
  let done: Scheduled & { offset: number } = await callOk(stack.apiUrl, 'GET', '/v1/scheduled/dispatch-42', { token: t.secret });
  await waitFor(async () => {
    done = await callOk(stack.apiUrl, 'GET', '/v1/scheduled/dispatch-42', { token: t.secret });
    return done.status !== 'publishing';
  }, { what: 'the scheduled row leaves publishing' });
  assert.equal(done.status, 'published');
  assert.equal(typeof done.offset, 'number');
  // Cancelling what is already published is refused.
  const late = await call(stack.apiUrl, 'DELETE', '/v1/scheduled/dispatch-42', { token: t.secret });
  assert.deepEqual([late.status, late.body.reason], [409, 'not_cancellable']);
  ws.close();
});

test('cancel prevents a scheduled publish', async () => {
  const t = await createTenant(stack.apiUrl);
  const ws = await WsClient.connect(stack.wsUrl(), t.commonKey);
  await ws.subscribe('c');
  const now = Date.now();
  assert.equal((await schedule(t.secret, { channel: 'c', message: 'cancelled', id: 'nope', at: now + 800 })).status, 202);
  assert.equal((await schedule(t.secret, { channel: 'c', message: 'kept', id: 'marker', at: now + 1300 })).status, 202);
  const cancel = await call(stack.apiUrl, 'DELETE', '/v1/scheduled/nope', { token: t.secret });
  assert.equal(cancel.status, 204);
  // The later message arriving proves the cancelled one's time has passed.
  const got = await ws.waitForMessages(1, 'c', 5_000);
  assert.deepEqual(got.map((m) => m.id), ['marker']);
  assert.equal((await callOk<Scheduled>(stack.apiUrl, 'GET', '/v1/scheduled/nope', { token: t.secret })).status, 'cancelled');
  const again = await call(stack.apiUrl, 'DELETE', '/v1/scheduled/nope', { token: t.secret });
  assert.equal(again.status, 409);
  assert.equal((await call(stack.apiUrl, 'DELETE', '/v1/scheduled/unknown', { token: t.secret })).status, 404);
  // Managing schedules needs the secret key.
  assert.equal((await call(stack.apiUrl, 'GET', '/v1/scheduled', { token: t.commonKey })).status, 403);
  ws.close();
});

test('bad schedules: in the past, beyond the plan maximum, both delay and at → 400 invalid_delay', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'free' });
  const cases: Array<Record<string, unknown>> = [
    { delay: -1 },
    { delay: 0 },
    { at: Date.now() - 1000 },
    { at: new Date(Date.now() - 60_000).toISOString() },
    { delay: 2 * 86_400_000 }, // free plan: at most 1 day ahead
    { delay: 1000, at: Date.now() + 5000 },
    { delay: '1000' },
    { at: 'tomorrow' },
  ];
  for (const c of cases) {
    const r = await schedule(t.secret, { channel: 'c', message: 'x', ...c });
    assert.deepEqual([r.status, r.body.reason], [400, 'invalid_delay'], JSON.stringify(c));
  }
  const beyond = await schedule(t.secret, { channel: 'c', message: 'x', delay: 2 * 86_400_000 });
  assert.match((beyond.body as unknown as { content: string }).content, /86400 s/);
  // Other checks still apply to scheduled publishes.
  const sub = await schedule(t.subscribeKey, { channel: 'c', message: 'x', delay: 1000 });
  assert.equal(sub.status, 403);
  const bad = await schedule(t.secret, { channel: 'bad channel', message: 'x', delay: 1000 });
  assert.equal(bad.body.reason, 'invalid_channel');
});

test('a worker SIGKILLed with scheduled publishes pending: each is delivered once after the restart', async () => {
  const local = await startStack({ workers: 1 });
  try {
    const t = await createTenant(local.apiUrl);
    const ws = await WsClient.connect(local.wsUrl(), t.commonKey);
    await ws.subscribe('s');
    // Far enough ahead that 20 sequential calls on a loaded machine all land before their time.
    const base = Date.now() + 2_500;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await call<Scheduled>(local.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: { channel: 's', message: i, id: `s-${i}`, at: base + i * 50 } });
      assert.equal(r.status, 202);
      ids.push(r.body.id);
    }
    // Killed while they are firing; one more is scheduled while no worker runs.
    await ws.waitForMessages(3, 's', 5_000);
    await local.workers[0].stop('SIGKILL');
    assert.equal((await call(local.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: { channel: 's', message: 20, id: 's-20', delay: 100 } })).status, 202);
    ids.push('s-20');
    await local.startWorker();
    const got = await ws.waitForMessages(21, 's', 15_000);
    assert.deepEqual(got.map((m) => m.id).sort(), [...ids].sort());
    // Nothing twice, later either: a marker published after everything arrives right after them.
    await callOk(local.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: { channel: 's', message: 'end', id: 'end' } });
    await ws.waitForMessages(22, 's');
    assert.equal(ws.messages('s').length, 22);
    assert.equal(new Set(ws.messages('s').map((m) => m.id)).size, 22);
    ws.close();
  } finally {
    await local.stop();
  }
});
