import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { environment, loadConfig } from '@herald/config';
import { RedisKeys } from '@herald/bus';
import { WebhookReceiver, WsClient, testRedisClient, callOk, createTenant, restPublish, startStack, testSettings, waitFor, type Stack, type Tenant } from '@herald/testing';

// The publish path no longer goes through a worker: a message is stored and fanned out when accepted.
// Workers only archive it and send its message.published webhooks, exactly once, whatever happens to them.
const stacks: Stack[] = [];
const receivers: WebhookReceiver[] = [];
let db: pg.Client;
before(async () => {
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
});
after(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  await Promise.all(stacks.map((s) => s.stop()));
  await db?.end();
});

/** How long the outage test keeps the only worker away (seconds in CI, longer by hand). */
const OUTAGE_MS = testSettings().workerOutageMs;

async function stack(opts: Parameters<typeof startStack>[0]): Promise<Stack> {
  const s = await startStack(opts);
  stacks.push(s);
  return s;
}

async function hooked(s: Stack, t: Tenant): Promise<WebhookReceiver> {
  const rx = await WebhookReceiver.start();
  receivers.push(rx);
  await callOk(s.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url: rx.url, events: ['message.published'] } });
  return rx;
}

async function archivedIds(appId: string, channel: string): Promise<string[]> {
  const r = await db.query(`SELECT "messageId" FROM "ArchivedMessage" WHERE "appId" = $1 AND channel = $2 ORDER BY "offset"`, [appId, channel]);
  return r.rows.map((row: { messageId: string }) => row.messageId);
}

/** message.published webhook events received, by message id: each must be there exactly once. */
function publishedCounts(rx: WebhookReceiver): Map<string, number> {
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  for (const e of rx.acceptedEvents('message.published')) {
    if (seen.has(e.id)) continue; // a delivery re-sent after a lost answer carries the same event id
    seen.add(e.id);
    const id = (e.data as { id: string }).id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

test('publishers on the API and on the gateway at once: subscribers see offset order, each publisher its own order', async () => {
  const s = await stack({ workers: 1 });
  const t = await createTenant(s.apiUrl);
  const ws = await WsClient.connect(s.wsUrl(), t.commonKey);
  await ws.subscribe('orders');
  const perPublisher = 100;
  const viaWs = await WsClient.connect(s.wsUrl(), t.commonKey);
  const replies = await Promise.all([
    ...Array.from({ length: 3 }, async (_, p) => {
      const mine: Array<{ id: string; offset: number }> = [];
      for (let i = 0; i < perPublisher; i++) mine.push(await restPublish(s.apiUrl, t.secret, { channel: 'orders', message: { p, i }, id: `p${p}-${i}` }));
      return mine;
    }),
    (async () => {
      const mine: Array<{ id: string; offset: number }> = [];
      for (let i = 0; i < perPublisher; i++) {
        const r = await viaWs.request({ type: 'publish', channel: 'orders', message: { p: 3, i }, messageId: `p3-${i}` });
        mine.push(r.result as { id: string; offset: number });
      }
      return mine;
    })(),
  ]);
  const got = await ws.waitForMessages(4 * perPublisher, 'orders', 20_000);
  assert.deepEqual(got.map((m) => m.offset), Array.from({ length: 4 * perPublisher }, (_, i) => i + 1));
  const byOffset = new Map(replies.flat().map((r) => [r.offset, r.id]));
  assert.deepEqual(got.map((m) => m.id), got.map((m) => byOffset.get(m.offset as number)));
  for (let p = 0; p < 4; p++) {
    const mine = got.filter((m) => (m.content as { p: number }).p === p).map((m) => (m.content as { i: number }).i);
    assert.deepEqual(mine, Array.from({ length: perPublisher }, (_, i) => i));
  }
  ws.close();
  viaWs.close();
});

test('2 workers and an injected failure on every first archive attempt: each message archived and sent to webhooks once', async () => {
  const s = await stack({ workers: 2, workerEnv: { HERALD_FAULT_FAIL_FIRST_ATTEMPT: '*' } });
  const t = await createTenant(s.apiUrl);
  const rx = await hooked(s, t);
  const ids = Array.from({ length: 120 }, (_, i) => `a-${i}`);
  await Promise.all([0, 1, 2].map(async (p) => {
    for (let i = p; i < ids.length; i += 3) await restPublish(s.apiUrl, t.secret, { channel: 'arch', message: i, id: ids[i] });
  }));
  await waitFor(async () => (await archivedIds(t.appId, 'arch')).length === ids.length, { what: 'all archived', timeoutMs: 30_000 });
  await waitFor(() => publishedCounts(rx).size === ids.length, { what: 'all webhooks', timeoutMs: 30_000 });
  assert.deepEqual((await archivedIds(t.appId, 'arch')).sort(), [...ids].sort());
  assert.ok([...publishedCounts(rx).values()].every((n) => n === 1), 'each message.published event once');
  const logs = s.workers.map((w) => w.output()).join('\n');
  assert.match(logs, /injected failure for a-\d+/);
});

test('with the only worker stopped, live delivery and replay go on; the archive and webhooks catch up exactly once when it returns', async () => {
  const s = await stack({ workers: 1 });
  const t = await createTenant(s.apiUrl);
  const rx = await hooked(s, t);
  const live = await WsClient.connect(s.wsUrl(), t.subscribeKey);
  await live.subscribe('news');
  await restPublish(s.apiUrl, t.secret, { channel: 'news', message: 'before', id: 'n-0' });
  await waitFor(async () => (await archivedIds(t.appId, 'news')).length === 1, { what: 'first archived' });
  await s.workers[0].stop('SIGKILL');

  const outageEnds = Date.now() + OUTAGE_MS;
  let n = 1;
  const latencies: number[] = [];
  while (Date.now() < outageEnds || n < 20) {
    const sent = Date.now();
    await restPublish(s.apiUrl, t.secret, { channel: 'news', message: n, id: `n-${n}` });
    await live.waitForMessages(n + 1, 'news', 5_000);
    latencies.push(Date.now() - sent);
    n++;
  }
  // Delivery did not wait for a worker; a late joiner replays everything from history.
  latencies.sort((a, b) => a - b);
  assert.ok(latencies[Math.floor(latencies.length / 2)] < 200, `median publish→deliver ${latencies[Math.floor(latencies.length / 2)]} ms with no worker`);
  const late = await WsClient.connect(s.wsUrl(), t.subscribeKey);
  const first = live.messages('news')[0] as unknown as { offset: number; epoch: string };
  await late.subscribe('news', { offset: first.offset, epoch: first.epoch });
  const replayed = await late.waitForMessages(n - 1, 'news');
  assert.deepEqual(replayed.map((m) => m.id), Array.from({ length: n - 1 }, (_, i) => `n-${i + 1}`));
  assert.equal((await archivedIds(t.appId, 'news')).length, 1, 'nothing archived without a worker');

  await s.startWorker();
  const all = Array.from({ length: n }, (_, i) => `n-${i}`);
  await waitFor(async () => (await archivedIds(t.appId, 'news')).length === n, { what: 'archive caught up', timeoutMs: 30_000 });
  await waitFor(() => publishedCounts(rx).size === n, { what: 'webhooks caught up', timeoutMs: 30_000 });
  assert.deepEqual(await archivedIds(t.appId, 'news'), all);
  assert.ok([...publishedCounts(rx).values()].every((c) => c === 1), 'each message.published event once');
  live.close();
  late.close();
});

test('a worker SIGKILLed while archiving: the next one archives and dispatches everything exactly once', async () => {
  const s = await stack({ workers: 1, env: { HERALD_ARCHIVE_BATCH: '20' } });
  const t = await createTenant(s.apiUrl);
  const rx = await hooked(s, t);
  const total = 300;
  for (let i = 0; i < total; i++) {
    if (i === 100) await s.workers[0].stop('SIGKILL');
    if (i === 200) await s.startWorker();
    await restPublish(s.apiUrl, t.secret, { channel: 'jobs', message: i, id: `j-${i}` });
  }
  await waitFor(async () => (await archivedIds(t.appId, 'jobs')).length === total, { what: 'all archived', timeoutMs: 60_000 });
  await waitFor(() => publishedCounts(rx).size === total, { what: 'all webhooks', timeoutMs: 60_000 });
  assert.deepEqual(await archivedIds(t.appId, 'jobs'), Array.from({ length: total }, (_, i) => `j-${i}`));
  assert.ok([...publishedCounts(rx).values()].every((c) => c === 1));
});

test('upgrade: messages the previous version accepted and left pending are appended by the worker at start', async () => {
  const s = await stack({ workers: 0 });
  const t = await createTenant(s.apiUrl);
  const redis = testRedisClient(s.env);
  try {
    const keys = RedisKeys.of(loadConfig({ ...environment(), ...s.env }));
    const k = keys.channel(t.appId, 'old');
    const frame = (n: number) => JSON.stringify({ type: 'message', channel: 'old', id: `o-${n}`, time: Date.now(), content: n, offset: n, epoch: 'Eold0upgrade' });
    await redis.xadd(k.history, '1-0', 'f', frame(1), 't', String(Date.now()));
    await redis.hset(k.meta, 'e', 'Eold0upgrade', 's', 3, 'a', 1);
    await redis.hset(k.pending, '2', frame(2), '3', frame(3));
    await redis.zadd(keys.legacyPendingIndex, Date.now(), keys.member(t.appId, 'old'));
    const sub = await WsClient.connect(s.wsUrl(), t.subscribeKey);
    assert.equal((await sub.subscribe('old', { offset: 1, epoch: 'Eold0upgrade' })).type, 'subscribed');

    await s.startWorker();
    const got = await sub.waitForMessages(2, 'old', 10_000);
    assert.deepEqual(got.map((m) => m.offset), [2, 3]);
    await waitFor(async () => (await archivedIds(t.appId, 'old')).length === 2, { what: 'archived', timeoutMs: 10_000 });
    assert.equal(await redis.zcard(keys.legacyPendingIndex), 0);
    const next = await restPublish(s.apiUrl, t.secret, { channel: 'old', message: 4 });
    assert.deepEqual([next.offset, next.epoch], [4, 'Eold0upgrade']);
    sub.close();
  } finally {
    redis.disconnect();
  }
});

test('upgrade: what the previous version left in the unsharded feeds and indexes is handled by the new worker', async () => {
  const s = await stack({ workers: 0, workerEnv: { HERALD_PRESENCE_LEASE_MS: '1500' } });
  const t = await createTenant(s.apiUrl);
  const rx = await WebhookReceiver.start();
  receivers.push(rx);
  await callOk(s.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url: rx.url, events: ['message.published', 'member.joined', 'member.left'] } });
  const redis = testRedisClient(s.env);
  try {
    const keys = RedisKeys.of(loadConfig({ ...environment(), ...s.env }));
    const archive = keys.legacy('archive');
    const frame = (n: number) => JSON.stringify({ type: 'message', channel: 'feed', id: `f-${n}`, time: Date.now(), content: n, offset: n, epoch: 'Eold0feeds' });
    // The previous version's archive feed: entry 1 read by a worker that died before acknowledging it, entry 2 never read.
    await redis.xgroup('CREATE', archive, 'archivers', '0', 'MKSTREAM');
    await redis.xadd(archive, '*', 'k', keys.member(t.appId, 'feed'), 'f', frame(1));
    await redis.xreadgroup('GROUP', 'archivers', 'dead-worker', 'COUNT', 1, 'STREAMS', archive, '>');
    await redis.xadd(archive, '*', 'k', keys.member(t.appId, 'feed'), 'f', frame(2));
    // Its events feed: a member.joined not yet turned into a webhook.
    await redis.xadd(keys.legacy('events'), '*', 'k', keys.member(t.appId, 'presence-room'), 'e', 'member.joined', 't', Date.now(), 'd', JSON.stringify({ id: 'ann', data: {}, reason: 'join' }));
    // Its presence index: ann's lease lapsed (her gateway died), listed only under the unsharded name.
    const k = keys.channel(t.appId, 'presence-room');
    await redis.zadd(k.presenceConns, Date.now() - 1000, 'conn-1|ann');
    await redis.hset(k.presenceUsers, 'ann', '{}');
    await redis.hset(k.presenceCount, 'ann', 1);
    await redis.zadd(keys.legacy('presence-channels'), Date.now() - 1000, keys.member(t.appId, 'presence-room'));

    await s.startWorker();
    await waitFor(async () => (await archivedIds(t.appId, 'feed')).length === 2, { what: 'both archived', timeoutMs: 20_000 });
    assert.deepEqual(await archivedIds(t.appId, 'feed'), ['f-1', 'f-2']);
    await rx.waitForEvents(2, 'message.published', 20_000);
    await rx.waitForEvents(1, 'member.joined', 20_000);
    // The sweep finds ann through the unsharded index, announces her timeout (on the new, sharded feed) and moves on.
    const [left] = await rx.waitForEvents(1, 'member.left', 20_000);
    assert.deepEqual([left.channel, (left.data as { id: string; reason: string }).reason], ['presence-room', 'timeout']);
    assert.equal(await redis.zcard(keys.legacy('presence-channels')), 0);
    await waitFor(async () => (await redis.xpending(archive, 'archivers') as [number])[0] === 0, { what: 'nothing pending in the old feed' });
    assert.equal(await redis.xlen(archive), 0);
    assert.deepEqual([...publishedCounts(rx).values()], [1, 1]);
  } finally {
    redis.disconnect();
  }
});
