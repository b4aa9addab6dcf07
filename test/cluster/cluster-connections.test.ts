import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import { Worker } from 'bullmq';
import { loadConfig, type HeraldConfig } from '@herald/config';
import { RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { closeQueue, createScheduledQueue, SCHEDULED_QUEUE, type ScheduledJob } from '@herald/queue';
import { keySlot, startRedisCluster, uniquePrefix, type TestRedisCluster } from '@herald/testing';

// REDIS_CLUSTER_NODES on a real cluster: every connection role and BullMQ go through createRedis.
let cluster: TestRedisCluster;
let config: HeraldConfig;
let keys: RedisKeys;
const connections: RedisClient[] = [];
before(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  const prefix = uniquePrefix();
  // REDIS_URL points nowhere: cluster mode must not read it.
  config = loadConfig({ REDIS_CLUSTER_NODES: cluster.nodes, REDIS_URL: 'redis://127.0.0.1:1', HERALD_REDIS_PREFIX: prefix, HERALD_LOG_LEVEL: 'silent' });
  keys = new RedisKeys(prefix, true);
});
after(async () => {
  for (const c of connections) c.disconnect();
  await cluster?.stop();
});

test('createRedis returns a Cluster client for every role when REDIS_CLUSTER_NODES is set', async () => {
  for (const role of ['command', 'subscriber', 'fanout', 'bullmq'] as const) {
    const c = createRedis(config, role, `cluster-${role}`);
    connections.push(c);
    assert.ok(c instanceof Cluster, role);
    assert.equal(await c.ping(), 'PONG');
  }
  const command = connections[0];
  // Keys of the three masters' slots, written through one client: it routes each to its owner.
  const written = ['a', 'b', 'c', 'd', 'e', 'f'].map((app) => keys.connections(app));
  await Promise.all(written.map((k) => command.zadd(k, 1, 'conn')));
  assert.deepEqual(await Promise.all(written.map((k) => command.zcard(k))), [1, 1, 1, 1, 1, 1]);
  assert.ok(new Set(written.map(keySlot)).size > 1, 'the sample spans slots');
});

test('a BullMQ queue and worker run on the cluster with the hash-tagged prefix', async () => {
  assert.match(keys.bullPrefix, /^\{.*\}$/, 'one hash tag: every key of a queue in one slot');
  const queue = createScheduledQueue(config, keys, 'test-producer');
  const connection = createRedis(config, 'bullmq', 'test-worker');
  connections.push(connection);
  const done = new Promise<ScheduledJob>((resolve) => {
    const worker = new Worker<ScheduledJob>(SCHEDULED_QUEUE, async (job) => resolve(job.data), { connection, prefix: keys.bullPrefix });
    after(() => worker.close());
  });
  try {
    await queue.add('fire', { appId: 'app1', messageId: 'm1' }, { delay: 50 });
    assert.deepEqual(await done, { appId: 'app1', messageId: 'm1' });
  } finally {
    await closeQueue(queue);
  }
});
