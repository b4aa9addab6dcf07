import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisKeys } from '@herald/bus';
import { QueueShards } from './queue-shards.js';
import { JobPool } from './job-pool.js';

test('queue choice: stable per app (and per channel for scheduled publishes), within 0…N-1, spread over every queue', () => {
  const shards = new QueueShards(new RedisKeys('herald:', true), 8);
  const apps = Array.from({ length: 200 }, (_, i) => `app_${i}`);
  for (const app of apps) {
    const k = shards.ofApp(app);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 8, `${app} → ${k}`);
    assert.equal(new QueueShards(new RedisKeys('other:', false), 8).ofApp(app), k, 'the same on one Redis and under any prefix: every process agrees');
  }
  assert.equal(new Set(apps.map((a) => shards.ofApp(a))).size, 8, '200 apps use all 8 queues');
  // FNV-1a, as the stream shards: pinned, since producers and workers of different versions must agree.
  assert.deepEqual(['a', 'app_1', 'demo'].map((a) => shards.ofApp(a)), [0xe40c292c % 8, new RedisKeys('x', false, 8).shardOf('app_1'), new RedisKeys('x', false, 8).shardOf('demo')]);
  const channels = Array.from({ length: 200 }, (_, i) => `room-${i}`);
  assert.equal(new Set(channels.map((c) => shards.ofChannel('app_1', c))).size, 8, "one app's scheduled publishes spread by channel");
  assert.equal(shards.ofChannel('app_1', 'room-7'), new RedisKeys('x', false, 8).shardOf('app_1', 'room-7'));
  assert.equal(new QueueShards(new RedisKeys('herald:'), 1).ofApp('anything'), 0);
});

test('queue prefixes: one hash tag per queue in both modes; the previous single prefix for the upgrade', () => {
  const cluster = new QueueShards(new RedisKeys('herald:', true), 3);
  assert.deepEqual(cluster.all().map((k) => cluster.prefix(k)), ['{herald:bull:0}', '{herald:bull:1}', '{herald:bull:2}']);
  assert.equal(cluster.legacyPrefix, '{herald:bull}');
  const single = new QueueShards(new RedisKeys('herald:', false), 3);
  assert.equal(single.prefix(2), '{herald:bull:2}');
  assert.equal(single.legacyPrefix, 'herald:bull');
  assert.throws(() => new QueueShards(new RedisKeys('herald:'), 0), /positive integer/);
});

test('JobPool: at most `size` tasks at once, the rest start in arrival order as places free up', async () => {
  const pool = new JobPool(2);
  const started: number[] = [];
  const release: Array<() => void> = [];
  const runs = [0, 1, 2, 3].map((i) =>
    pool.run(async () => {
      started.push(i);
      await new Promise<void>((r) => release.push(r));
      return i;
    }),
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([started, pool.busy], [[0, 1], 2]);
  release[0]();
  assert.equal(await runs[0], 0);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2]);
  assert.equal(pool.busy, 2);
  release[1]();
  release[2]();
  await new Promise((r) => setImmediate(r));
  release[3]();
  assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
  assert.equal(pool.busy, 0);
  await assert.rejects(pool.run(async () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(pool.busy, 0, 'a failed task frees its place');
});
