import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webhookAttempts, webhookBackoff } from './webhook-job.js';

test('webhook retries: exponential, capped, jittered ±25 %, attempts cover the retry period', () => {
  const p = { backoffMs: 1000, maxBackoffMs: 3_600_000, retryPeriodMs: 24 * 3_600_000 };
  assert.equal(webhookBackoff(p, 1, () => 0.5), 1000);
  assert.equal(webhookBackoff(p, 4, () => 0.5), 8000);
  assert.equal(webhookBackoff(p, 30, () => 0.5), 3_600_000);
  assert.equal(webhookBackoff(p, 1, () => 0), 750);
  assert.equal(webhookBackoff(p, 1, () => 0.999999), 1250);
  const n = webhookAttempts(p);
  let covered = 0;
  for (let i = 1; i < n; i++) covered += Math.min(1000 * 2 ** (i - 1), 3_600_000);
  assert.ok(covered >= p.retryPeriodMs && covered - 3_600_000 < p.retryPeriodMs, `${n} attempts cover ${covered} ms`);
  assert.equal(webhookAttempts({ backoffMs: 100, maxBackoffMs: 1000, retryPeriodMs: 3000 }), 7);
});
