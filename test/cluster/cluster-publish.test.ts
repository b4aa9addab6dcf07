import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { RedisKeys } from '@herald/bus';
import { QueueShards, WEBHOOK_QUEUE } from '@herald/queue';
import { WebhookReceiver, WsClient, call, callOk, createTenant, restPublish, startRedisCluster, startStack, waitFor, type Stack, type TestRedisCluster } from '@herald/testing';
import { prefixWithQueuesOnEveryMaster, queueMasters } from './queue-placement.js';

// The whole service on a real 3-master/3-replica Redis Cluster (REDIS_CLUSTER_NODES): an API, two
// gateways and a worker, with channels and work queues on every master. Every Redis script is single-slot; what spans
// slots (charge then accept, the sharded feeds and indexes) goes in steps.
let cluster: TestRedisCluster;
let stack: Stack;
let keys: RedisKeys;
let db: pg.Client;
const receivers: WebhookReceiver[] = [];
before(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  // The default eight work queues, on every master (the webhook test below checks the spread).
  const prefix = await prefixWithQueuesOnEveryMaster(cluster, 8);
  stack = await startStack({ gateways: 2, env: { REDIS_CLUSTER_NODES: cluster.nodes, HERALD_REDIS_PREFIX: prefix, HERALD_PRESENCE_LEASE_MS: '3000' } });
  keys = new RedisKeys(stack.prefix, true);
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
});
after(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  await stack?.stop();
  await db?.end();
  await cluster?.stop();
});

/** One channel of the app per master (named `<base>-<i>`), found by the master serving its slot. */
async function channelPerMaster(appId: string, base: string): Promise<string[]> {
  const found = new Map<number, string>();
  for (let i = 0; found.size < cluster.masterPorts.length; i++) {
    const channel = `${base}-${i}`;
    const port = await cluster.ownerPort(keys.channel(appId, channel).meta);
    if (!found.has(port)) found.set(port, channel);
  }
  return [...found.values()];
}

const offsets = (frames: Array<Record<string, unknown>>) => frames.map((f) => f.offset as number);
const oneTo = (n: number, from = 1) => Array.from({ length: n - from + 1 }, (_, i) => from + i);

test('REST publishes on channels of all three masters reach subscribers on both gateways in offset order; replay resumes', async () => {
  const t = await createTenant(stack.apiUrl);
  const channels = await channelPerMaster(t.appId, 'orders');
  const subs = await Promise.all([0, 1].map((g) => WsClient.connect(stack.wsUrl(g), t.subscribeKey)));
  for (const s of subs) for (const c of channels) assert.equal((await s.subscribe(c)).type, 'subscribed');
  const epochs = new Map<string, string>();
  for (let i = 0; i < 20; i++) {
    for (const c of channels) {
      const r = await restPublish(stack.apiUrl, t.secret, { channel: c, message: { i } });
      assert.equal(r.offset, i + 1);
      epochs.set(c, r.epoch);
    }
  }
  for (const s of subs) {
    for (const c of channels) assert.deepEqual(offsets(await s.waitForMessages(20, c)), oneTo(20), c);
  }
  // A subscriber that was away since offset 12 resumes: the missed ones, then live.
  const back = await WsClient.connect(stack.wsUrl(1), t.subscribeKey);
  for (const c of channels) {
    const answer = await back.subscribe(c, { offset: 12, epoch: epochs.get(c)! });
    assert.equal(answer.recovered, true, c);
    await restPublish(stack.apiUrl, t.secret, { channel: c, message: 'live' });
    assert.deepEqual(offsets(await back.waitForMessages(9, c)), oneTo(21, 13), c);
  }
  for (const s of [...subs, back]) s.close();
});

test('presence on a cluster: join, hereNow from the other gateway, leave; a batch across masters keeps order per channel', async () => {
  const t = await createTenant(stack.apiUrl);
  const [room] = await channelPerMaster(t.appId, 'presence-room');
  const events = (c: WsClient) => c.frames.filter((f) => f.type === 'presence').map((f) => `${f.action}:${(f.member as { id: string }).id}:${f.amount}`);
  const watcher = await WsClient.connect(stack.wsUrl(1), t.subscribeKey);
  await watcher.request({ type: 'presence_subscribe', channel: room });
  const ann = await WsClient.connect(stack.wsUrl(0), t.commonKey, { query: { id: 'ann', data: '{"name":"Ann"}' } });
  assert.equal((await ann.request({ type: 'subscribe', channel: room, presence: true })).type, 'subscribed');
  await waitFor(() => events(watcher).length === 1, { what: 'join' });
  const here = (await watcher.request({ type: 'herenow', channel: room })).result as { amount: number; members: Array<{ id: string }> };
  assert.deepEqual([here.amount, here.members.map((m) => m.id)], [1, ['ann']]);
  await ann.request({ type: 'unsubscribe', channel: room });
  await waitFor(() => events(watcher).length === 2, { what: 'leave' });
  assert.deepEqual(events(watcher), ['join:ann:1', 'leave:ann:0']);

  const channels = await channelPerMaster(t.appId, 'batch');
  const items = Array.from({ length: 60 }, (_, i) => ({ channel: channels[i % 3], message: i }));
  const batch = await callOk<{ results: Array<{ ok: boolean; offset?: number }> }>(stack.apiUrl, 'POST', '/v1/publish/batch', { token: t.secret, json: { items } });
  for (const c of channels) {
    assert.deepEqual(batch.results.filter((_, i) => items[i].channel === c).map((r) => r.offset), oneTo(20), c);
  }
  for (const c of [watcher, ann]) c.close();
});

test('limits are shared across two gateways on a cluster: the connection cap holds exactly', async () => {
  const t = await createTenant(stack.apiUrl);
  const plan = `t-${randomBytes(4).toString('hex')}`;
  await db.query(
    `INSERT INTO "Plan" (id, name, "maxConnections", "maxMessagesPerDay", "maxPublishesPerSecond", "maxPayloadBytes", "historySize", "historyTtlSeconds", "maxChannelsPerConnection", "anyOrigin")
     VALUES ($1, $1, 4, 30, 100, 65536, 100, 3600, 100, true)`,
    [plan],
  );
  await db.query('UPDATE "App" SET "planId" = $1 WHERE id = $2', [plan, t.appId]);
  await new Promise((r) => setTimeout(r, 600)); // the key cache (500 ms in tests) forgets the old plan
  const clients = await Promise.all(Array.from({ length: 4 }, (_, i) => WsClient.connect(stack.wsUrl(i % 2), t.commonKey)));
  assert.ok(clients.every((c) => c.closeCode === undefined));
  for (const g of [0, 1]) assert.equal(await (await WsClient.connect(stack.wsUrl(g), t.commonKey)).waitClosed(), 4529);
  // The day's quota (30, publishes and deliveries) holds too: 30 publishes pass, the 31st is refused.
  for (let i = 0; i < 30; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'quota', message: i });
  const over = await call<{ reason: string }>(stack.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: { channel: 'quota', message: 'over' } });
  assert.deepEqual([over.status, over.body.reason], [429, 'quota_exceeded']);
  const usage = await callOk<{ connections: number; messagesToday: number }>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/usage`, { token: t.token });
  assert.deepEqual([usage.connections, usage.messagesToday], [4, 30]);
  for (const c of clients) c.close();
});

test('message.published webhooks exactly once and every message archived, from every shard of the archive feed', async () => {
  const t = await createTenant(stack.apiUrl);
  const rx = await WebhookReceiver.start();
  receivers.push(rx);
  await callOk(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url: rx.url, events: ['message.published'] } });
  await new Promise((r) => setTimeout(r, 300)); // the worker's webhook cache (200 ms in tests)
  const channels = Array.from({ length: 12 }, (_, i) => `feed-${i}`);
  assert.ok(new Set(channels.map((c) => keys.shardOf(t.appId, c))).size > 3, 'the channels span shards');
  const ids: string[] = [];
  for (const [i, c] of channels.entries()) {
    for (let n = 0; n < 3; n++) ids.push((await restPublish(stack.apiUrl, t.secret, { channel: c, message: n, id: `m-${i}-${n}` })).id);
  }
  await rx.waitForEvents(ids.length, 'message.published', 30_000);
  const seen = new Map<string, number>();
  for (const e of rx.acceptedEvents('message.published')) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
  assert.equal(seen.size, ids.length);
  const byMessage = rx.acceptedEvents('message.published').map((e) => (e.data as { id: string }).id);
  assert.deepEqual([...new Set(byMessage)].sort(), [...ids].sort());
  await waitFor(async () => Number((await db.query(`SELECT count(*) FROM "ArchivedMessage" WHERE "appId" = $1`, [t.appId])).rows[0].count) === ids.length, {
    what: 'every message archived',
    timeoutMs: 30_000,
  });
});

test('a scheduled publish (BullMQ on the cluster) arrives at its time', async () => {
  const t = await createTenant(stack.apiUrl);
  const [channel] = await channelPerMaster(t.appId, 'later');
  const ws = await WsClient.connect(stack.wsUrl(0), t.subscribeKey);
  await ws.subscribe(channel);
  const at = Date.now() + 800;
  const scheduled = await call<{ id: string; status: string }>(stack.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: { channel, message: 'on time', id: 'sched-1', at } });
  assert.deepEqual([scheduled.status, scheduled.body.status], [202, 'scheduled']);
  const [m] = await ws.waitForMessages(1, channel, 10_000);
  assert.deepEqual([m.id, m.content, m.offset], ['sched-1', 'on time', 1]);
  assert.ok((m.time as number) >= at);
  ws.close();
});

test("webhook deliveries of apps whose work queues sit on different masters: each job in its app's queue on that master, every one delivered", async () => {
  const shards = new QueueShards(keys, 8);
  const masters = await queueMasters(cluster, stack.prefix, shards.count);
  // Tenants until there is one app per master (app ids are random: a few tenants cover the three).
  const byMaster = new Map<number, Awaited<ReturnType<typeof createTenant>>>();
  for (let tries = 0; byMaster.size < cluster.masterPorts.length; tries++) {
    assert.ok(tries < 40, 'forty random app ids cover three masters');
    const t = await createTenant(stack.apiUrl);
    const port = masters[shards.ofApp(t.appId)];
    if (!byMaster.has(port)) byMaster.set(port, t);
  }
  const rx = await WebhookReceiver.start();
  receivers.push(rx);
  for (const t of byMaster.values()) await callOk(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url: rx.url, events: ['message.published'] } });
  await new Promise((r) => setTimeout(r, 300)); // the worker's webhook cache (200 ms in tests)
  for (const t of byMaster.values()) for (let n = 0; n < 3; n++) await restPublish(stack.apiUrl, t.secret, { channel: `hooks-${n}`, message: n });
  await rx.waitForEvents(3 * byMaster.size, 'message.published', 30_000);
  for (const [port, t] of byMaster) {
    const deliveries = rx.accepted().filter((d) => d.body.appId === t.appId);
    assert.equal(deliveries.flatMap((d) => d.body.events).length, 3, `3 events of ${t.appId}`);
    const k = shards.ofApp(t.appId);
    const own = new Redis(port, '127.0.0.1');
    try {
      for (const d of deliveries) {
        // The delivery's job (id = delivery id) ran from the app's queue, whose keys live on that master.
        const job = await own.hgetall(`${shards.prefix(k)}:${WEBHOOK_QUEUE}:${d.headers['x-herald-delivery']}`);
        assert.equal((JSON.parse(job.data) as { appId: string }).appId, t.appId, `job ${d.headers['x-herald-delivery']} on master ${port}`);
        assert.ok(Number(job.finishedOn) > 0, 'finished');
      }
    } finally {
      own.disconnect();
    }
  }
});
