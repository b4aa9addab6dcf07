import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, type Job } from 'bullmq';
import { createLogger, loadConfig, type HeraldConfig } from '@herald/config';
import { RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { QueueShards, ShardedWorker, WEBHOOK_QUEUE, WebhookProducer, createWebhookQueues, type ShardedQueue, type WebhookJob } from '@herald/queue';
import { dropRedisPrefix, uniquePrefix, waitFor } from '@herald/testing';

// The work queues split over HERALD_QUEUE_SHARDS queues, on the test run's Redis (one Redis, or a cluster
// with `npm test -- --redis-cluster`; test/cluster/cluster-connections checks their masters): producers put
// an app's jobs in its queue, one ShardedWorker runs them all within one pool, and what the previous
// version left in its single queue still runs.
let config: HeraldConfig;
let shards: QueueShards;
let queues: ShardedQueue<WebhookJob>;
let producer: WebhookProducer;
let redis: RedisClient;
const workers: ShardedWorker<WebhookJob>[] = [];
const closeLater: Array<{ close(): Promise<void> }> = [];

before(() => {
  config = loadConfig({ ...process.env, HERALD_REDIS_PREFIX: uniquePrefix(), HERALD_QUEUE_SHARDS: '4', HERALD_LOG_LEVEL: 'silent' });
  shards = new QueueShards(RedisKeys.of(config), config.queueShards); // the old queue's prefix is the mode's: a hash tag on a cluster
  queues = createWebhookQueues(config, shards, 'test-producer');
  producer = new WebhookProducer(queues);
  redis = createRedis(config, 'command', 'test');
});

after(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(closeLater.map((c) => c.close()));
  await queues.close();
  redis.disconnect();
  await dropRedisPrefix(config, config.redisPrefix);
});

/** One app id per queue: app ids hashed to each of the N queues. */
function appPerQueue(tag: string): string[] {
  const found = new Map<number, string>();
  for (let i = 0; found.size < shards.count; i++) {
    const app = `${tag}_${i}`;
    if (!found.has(shards.ofApp(app))) found.set(shards.ofApp(app), app);
  }
  return shards.all().map((k) => found.get(k)!);
}

interface Run {
  deliveryId: string;
  /** `<prefix>:<queue name>` of the queue the job was taken from. */
  from: string;
}

function startWorker(concurrency: number, legacyCheckMs = 60_000): { worker: ShardedWorker<WebhookJob>; runs: Run[]; maxBusy: () => number } {
  const runs: Run[] = [];
  let busy = 0;
  let maxBusy = 0;
  const worker = new ShardedWorker<WebhookJob>(config, shards, {
    queue: WEBHOOK_QUEUE,
    name: 'test-worker',
    concurrency,
    legacyCheckMs,
    logger: createLogger(config, 'test'),
    processor: async (job: Job<WebhookJob>) => {
      busy++;
      maxBusy = Math.max(maxBusy, busy);
      // Long enough for the other queues' jobs to be taken meanwhile: the pool, not the queue, limits them.
      await new Promise((r) => setTimeout(r, 20));
      busy--;
      runs.push({ deliveryId: job.data.deliveryId, from: job.queueQualifiedName });
    },
  });
  worker.start();
  workers.push(worker);
  return { worker, runs, maxBusy: () => maxBusy };
}

const job = (appId: string, deliveryId: string): WebhookJob => ({ appId, webhookId: 'wh', deliveryId, body: '{}' });

test("each app's jobs go to its own queue; one worker runs every queue's jobs, at most `concurrency` at once; the depth sums the queues", async () => {
  const apps = appPerQueue('app');
  const jobs = apps.flatMap((app) => [1, 2, 3].map((n) => job(app, `${app}-d${n}`)));
  await producer.enqueue(jobs);
  // Enqueued again (a re-dispatched batch): the delivery id deduplicates within the app's queue.
  await producer.enqueue(jobs);

  for (const [k, app] of apps.entries()) {
    const counts = await queues.queues[k].getJobCounts('waiting');
    assert.equal(counts.waiting, 3, `queue ${k} holds the 3 jobs of ${app}, and only those`);
    assert.ok(await queues.queues[k].getJob(`${app}-d1`), `${app}-d1 in queue ${k}`);
    // The queue's keys carry its own hash tag.
    assert.equal(await redis.exists(`${shards.prefix(k)}:${WEBHOOK_QUEUE}:${app}-d1`), 1);
  }
  assert.equal((await queues.counts()).waiting, 12, 'herald_queue_depth reads the sum');

  const { worker, runs, maxBusy } = startWorker(2);
  await waitFor(() => runs.length === 12, { what: `12 jobs run (${runs.length})` });
  assert.deepEqual(runs.map((r) => r.deliveryId).sort(), jobs.map((j) => j.deliveryId).sort());
  for (const r of runs) {
    const app = r.deliveryId.split('-')[0];
    assert.equal(r.from, `${shards.prefix(shards.ofApp(app))}:${WEBHOOK_QUEUE}`, `${r.deliveryId} was taken from its app's queue`);
  }
  assert.ok(maxBusy() <= 2, `at most 2 jobs at once over the 4 queues (saw ${maxBusy()})`);
  await waitFor(async () => (await queues.counts()).active === 0, { what: 'nothing active' });
  assert.deepEqual(await queues.counts(), { waiting: 0, active: 0, delayed: 0, failed: 0 });
  await worker.close();
});

test("upgrade: the previous version's single queue runs its waiting and delayed jobs, then its worker closes; a late job there still runs", async () => {
  // What the previous version left: one queue under the old prefix, a waiting job and a delayed retry.
  const connection = createRedis(config, 'bullmq', 'test-legacy');
  const legacy = new Queue<WebhookJob>(WEBHOOK_QUEUE, { connection, prefix: shards.legacyPrefix });
  closeLater.push({ close: async () => (await legacy.close(), connection.disconnect()) });
  await legacy.add('deliver', job('old', 'old-waiting'), { jobId: 'old-waiting' });
  await legacy.add('deliver', job('old', 'old-delayed'), { jobId: 'old-delayed', delay: 300 });
  const depth = await queues.counts();
  assert.deepEqual([depth.waiting, depth.delayed], [1, 1], 'the depth counts the old queue too');

  const { worker, runs } = startWorker(4, 50);
  await waitFor(() => runs.length === 2, { what: `the old queue's 2 jobs run (${runs.length})` });
  assert.deepEqual(runs.map((r) => [r.deliveryId, r.from]).sort(), [
    ['old-delayed', `${shards.legacyPrefix}:${WEBHOOK_QUEUE}`],
    ['old-waiting', `${shards.legacyPrefix}:${WEBHOOK_QUEUE}`],
  ]);
  await waitFor(() => !worker.drainingLegacy, { what: "the old queue's worker closed once it is empty" });
  assert.equal((await legacy.getJobCounts('completed')).completed, 2);

  // A process of the previous version still running (a rolling upgrade) adds one more: the next look runs it.
  await legacy.add('deliver', job('old', 'old-late'), { jobId: 'old-late' });
  await waitFor(() => runs.some((r) => r.deliveryId === 'old-late'), { what: 'the late job runs' });
  await waitFor(() => !worker.drainingLegacy, { what: 'closed again' });
});
