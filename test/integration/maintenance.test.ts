import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type HeraldConfig } from '@herald/config';
import { RedisKeys } from '@herald/bus';
import { dropRedisPrefix, uniquePrefix, waitFor } from '@herald/testing';
import { Maintenance } from '../../apps/worker/src/maintenance/maintenance.js';

// The worker's periodic jobs are BullMQ job schedulers: with several workers, a job runs once per
// period for all of them, not once per worker (real Redis, two Maintenance instances as two workers).
let config: HeraldConfig;
const workers: Maintenance[] = [];

before(() => {
  config = loadConfig({ ...process.env, HERALD_REDIS_PREFIX: uniquePrefix(), HERALD_LOG_LEVEL: 'silent' });
});

after(async () => {
  for (const w of workers) await w.onApplicationShutdown();
  await dropRedisPrefix(config, config.redisPrefix);
});

function worker(periodMs: number, runs: number[]): Maintenance {
  const m = new Maintenance(config, RedisKeys.of(config));
  m.register('tick', periodMs, async (now) => void runs.push(now));
  workers.push(m);
  return m;
}

test('two workers declaring the same periodic job run it once per period between them', async () => {
  const period = 200;
  const a: number[] = [];
  const b: number[] = [];
  await worker(period, a).onApplicationBootstrap();
  await worker(period, b).onApplicationBootstrap();
  const started = Date.now();
  await waitFor(() => a.length + b.length >= 10, { what: 'ten runs', timeoutMs: 10_000 });
  const elapsed = Date.now() - started;
  const total = a.length + b.length;
  // A timer per worker would have run it about 2 × elapsed / period times.
  assert.ok(total <= elapsed / period + 2, `${total} runs in ${elapsed} ms at one per ${period} ms`);
  const all = [...a, ...b].sort((x, y) => x - y);
  const gaps = all.slice(1).map((t, i) => t - all[i]);
  assert.ok(gaps.every((g) => g >= period * 0.5), `runs closer than half a period: ${gaps.join(',')}`);
});

test('a direct run is never doubled in one process, and a failed run is logged, not thrown', async () => {
  const m = new Maintenance(config, RedisKeys.of(config));
  let release!: () => void;
  let calls = 0;
  m.register('slow', 0, async () => {
    calls++;
    await new Promise<void>((r) => (release = r));
    return 'done';
  });
  m.register('broken', 0, async () => {
    throw new Error('boom');
  });
  const first = m.runNow('slow', Date.now(), 'skipped');
  assert.equal(await m.runNow('slow', Date.now(), 'skipped'), 'skipped');
  release();
  assert.equal(await first, 'done');
  assert.equal(calls, 1);
  assert.equal(await m.runNow('broken', Date.now(), 'nothing'), 'nothing');
});
