import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { createLogger, loadConfig, type HeraldConfig } from '@herald/config';
import { RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { QueueShards, ShardedWorker, WEBHOOK_QUEUE, WebhookProducer, createWebhookQueues, type WebhookJob } from '@herald/queue';
import { keySlot, startRedisCluster, uniquePrefix, waitFor, type TestRedisCluster } from '@herald/testing';
import { prefixWithQueuesOnEveryMaster, queueMasters } from './queue-placement.js';

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

test('work queues on the cluster: apps hashed to queues on every master, each job stored on its queue\'s master, all run by one worker', async () => {
  const prefix = await prefixWithQueuesOnEveryMaster(cluster, 8);
  const c = loadConfig({ REDIS_CLUSTER_NODES: cluster.nodes, REDIS_URL: 'redis://127.0.0.1:1', HERALD_REDIS_PREFIX: prefix, HERALD_QUEUE_SHARDS: '8', HERALD_LOG_LEVEL: 'silent' });
  const shards = new QueueShards(new RedisKeys(prefix, true), c.queueShards);
  const masters = await queueMasters(cluster, prefix, shards.count);
  // One app per master: an app whose queue that master serves.
  const appOn = new Map<number, string>();
  for (let i = 0; appOn.size < cluster.masterPorts.length; i++) {
    const app = `app_${i}`;
    const port = masters[shards.ofApp(app)];
    if (!appOn.has(port)) appOn.set(port, app);
  }
  const queues = createWebhookQueues(c, shards, 'test-producer');
  const producer = new WebhookProducer(queues);
  const jobs = [...appOn.values()].flatMap((appId) => [1, 2].map((n) => ({ appId, webhookId: 'wh', deliveryId: `${appId}-d${n}`, body: '{}' })));
  // A job the previous version left in its single queue (one slot, `{<prefix>bull}`): it runs too.
  const legacyConnection = createRedis(c, 'bullmq', 'test-legacy');
  connections.push(legacyConnection);
  const legacy = new Queue<WebhookJob>(WEBHOOK_QUEUE, { connection: legacyConnection, prefix: shards.legacyPrefix });
  await legacy.add('deliver', { appId: 'old', webhookId: 'wh', deliveryId: 'old-d1', body: '{}' }, { jobId: 'old-d1' });
  const runs: string[] = [];
  const worker = new ShardedWorker<WebhookJob>(c, shards, {
    queue: WEBHOOK_QUEUE,
    name: 'test-worker',
    concurrency: 4,
    legacyCheckMs: 100,
    logger: createLogger(c, 'test'),
    processor: async (job) => void runs.push(job.data.deliveryId),
  });
  try {
    await producer.enqueue(jobs);
    for (const [port, appId] of appOn) {
      const k = shards.ofApp(appId);
      const own = new Redis(port, '127.0.0.1');
      try {
        // Stored on the master that serves the queue's slot (a plain connection there: no redirection).
        assert.equal(await own.exists(`${shards.prefix(k)}:${WEBHOOK_QUEUE}:${appId}-d1`), 1, `${appId}'s job on master ${port}`);
      } finally {
        own.disconnect();
      }
    }
    assert.deepEqual(await queues.counts(['waiting']), { waiting: jobs.length + 1 }, 'the depth sums the queues of every master and the old one');
    worker.start();
    await waitFor(() => runs.length === jobs.length + 1, { what: `every job run (${runs.length})` });
    assert.deepEqual([...runs].sort(), [...jobs.map((j) => j.deliveryId), 'old-d1'].sort());
    await waitFor(() => !worker.drainingLegacy, { what: "the old queue's worker closed" });
  } finally {
    await worker.close();
    await legacy.close();
    await queues.close();
  }
});
