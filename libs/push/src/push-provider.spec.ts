import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pushBackoff } from '@herald/queue';
import { parseRetryAfter, verdictOf } from './push-provider.js';

test('answers: 2xx delivered, 404/410 expired, 408/429/5xx and no answer retried, other 4xx failed', () => {
  const v = (statusCode: number | null) => verdictOf({ statusCode, latencyMs: 1, error: null });
  assert.deepEqual([201, 202, 200].map(v), ['delivered', 'delivered', 'delivered']);
  assert.deepEqual([404, 410].map(v), ['expired', 'expired']);
  assert.deepEqual([null, 408, 429, 500, 503].map(v), ['retry', 'retry', 'retry', 'retry', 'retry']);
  assert.deepEqual([400, 401, 403, 413].map(v), ['failed', 'failed', 'failed', 'failed']);
});

test('Retry-After in seconds or as a date; honoured by the backoff when longer, up to its cap', () => {
  const now = Date.parse('2026-12-07T10:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter('Mon, 07 Dec 2026 10:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  const policy = { backoffMs: 100, maxBackoffMs: 1000, maxRetryAfterMs: 60_000 };
  const mid = () => 0.5;
  assert.equal(pushBackoff(policy, 1, undefined, mid), 100);
  assert.equal(pushBackoff(policy, 3, undefined, mid), 400);
  assert.equal(pushBackoff(policy, 10, undefined, mid), 1000);
  assert.equal(pushBackoff(policy, 1, 5_000, mid), 5_000);
  assert.equal(pushBackoff(policy, 1, 10, mid), 100, 'a shorter Retry-After never shortens the backoff');
  assert.equal(pushBackoff(policy, 1, 3_600_000, mid), 60_000);
});
