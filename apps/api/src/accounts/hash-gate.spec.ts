import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeraldError } from '@herald/protocol';
import { HashGate } from './hash-gate.js';

/** A piece of work that finishes when the test says so, recording how many ran at once. */
function worker() {
  let running = 0;
  let peak = 0;
  const releases: Array<() => void> = [];
  const work = () =>
    new Promise<number>((resolve) => {
      running++;
      peak = Math.max(peak, running);
      releases.push(() => {
        running--;
        resolve(peak);
      });
    });
  return { work, releaseOne: () => releases.shift()?.(), started: () => releases.length, peak: () => peak };
}

const tick = () => new Promise((r) => setImmediate(r));

test('at most `max` run at once; the others start in order as slots free', async () => {
  const gate = new HashGate(2, 10_000);
  const w = worker();
  const all = Array.from({ length: 5 }, () => gate.run(w.work));
  await tick();
  assert.equal(w.started(), 2);
  w.releaseOne();
  await tick();
  assert.equal(w.started(), 2, 'one finished, the next started');
  for (let i = 0; i < 4; i++) {
    w.releaseOne();
    await tick();
  }
  await Promise.all(all);
  assert.equal(w.peak(), 2);
});

test('a caller that waits longer than waitMs is refused with 503 unavailable and Retry-After', async () => {
  const gate = new HashGate(1, 20);
  const w = worker();
  const first = gate.run(w.work);
  const refused = await gate.run(w.work).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(refused instanceof HeraldError);
  assert.deepEqual([refused.reason, refused.code, refused.retryAfter], ['unavailable', 503, 1]);
  w.releaseOne();
  await first;
  // The refused waiter left the queue: the next caller runs at once.
  const next = gate.run(async () => 'ran');
  assert.equal(await next, 'ran');
});

test('a failing piece of work frees its slot', async () => {
  const gate = new HashGate(1, 1_000);
  await assert.rejects(gate.run(async () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await gate.run(async () => 'ok'), 'ok');
});
