import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeraldError } from '@herald/protocol';
import { assertHistoryWithinPlan } from './apps.service.js';

const free = { id: 'free', historySize: 100, historyTtlSeconds: 86_400 };

test('a history window up to the plan’s passes; null and absent mean the plan’s', () => {
  assertHistoryWithinPlan(free, { historySize: 100, historyTtlSeconds: 86_400 });
  assertHistoryWithinPlan(free, { historySize: 1 });
  assertHistoryWithinPlan(free, { historySize: null, historyTtlSeconds: null });
  assertHistoryWithinPlan(free, {});
});

test('a window above the plan’s is invalid_request naming the limit and the plan', () => {
  assert.throws(() => assertHistoryWithinPlan(free, { historySize: 101 }), (e: HeraldError) => e.reason === 'invalid_request' && /historySize may be at most 100 on plan free/.test(e.message));
  assert.throws(() => assertHistoryWithinPlan(free, { historyTtlSeconds: 86_401 }), (e: HeraldError) => e.reason === 'invalid_request' && /historyTtlSeconds may be at most 86400/.test(e.message));
});
