import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeraldError } from '@herald/protocol';
import { isTransient, retryTransient } from './retry-transient.js';

const fast = { attempts: 5, backoffMs: 1 };

/** Work that fails with the given errors in turn, then answers 'stored'; counts its calls. */
function failing(...errors: unknown[]) {
  const calls = { n: 0 };
  const work = async () => {
    const e = errors[calls.n++];
    if (e !== undefined) throw e;
    return 'stored';
  };
  return { work, calls };
}

test('transient: 503 (unavailable, not_replicated), 429 and non-Herald errors; not 4xx refusals', () => {
  assert.equal(isTransient(new HeraldError('unavailable')), true);
  assert.equal(isTransient(new HeraldError('not_replicated')), true);
  assert.equal(isTransient(new HeraldError('rate_limited', undefined, 1)), true);
  assert.equal(isTransient(new Error('Connection is closed.')), true);
  assert.equal(isTransient(new HeraldError('publish_forbidden')), false);
  assert.equal(isTransient(new HeraldError('invalid_channel')), false);
});

test('a will refused while Redis fails over is published once it is back', async () => {
  const { work, calls } = failing(new HeraldError('unavailable'), new Error('CLUSTERDOWN'));
  assert.equal(await retryTransient(work, fast), 'stored');
  assert.equal(calls.n, 3);
});

test('a refusal that will not change is not retried', async () => {
  const { work, calls } = failing(new HeraldError('publish_forbidden'));
  await assert.rejects(retryTransient(work, fast), (e: HeraldError) => e.reason === 'publish_forbidden');
  assert.equal(calls.n, 1);
});

test('bounded: after the last attempt the last error is thrown', async () => {
  const { work, calls } = failing(...Array.from({ length: 10 }, () => new HeraldError('unavailable')));
  await assert.rejects(retryTransient(work, fast), (e: HeraldError) => e.reason === 'unavailable');
  assert.equal(calls.n, 5);
});

test("Retry-After is honoured: no retry sooner than the refusal asked", async () => {
  const { work } = failing(new HeraldError('rate_limited', undefined, 1));
  const started = Date.now();
  assert.equal(await retryTransient(work, fast), 'stored');
  assert.ok(Date.now() - started >= 990, `retried after ${Date.now() - started} ms`);
});
