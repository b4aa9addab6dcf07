import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { loadConfig, environment } from '@herald/config';
import { RedisKeys, type RedisClient } from '@herald/bus';
import { WebhookReceiver, WsClient, testRedisClient, call, callOk, createTenant, restPublish, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';

// One stack: a message no consumer can handle must not hold up any other app's archive or webhooks.
let stack: Stack;
let db: pg.Client;
let redis: RedisClient;
const receivers: WebhookReceiver[] = [];
const MAX_ATTEMPTS = 3;

before(async () => {
  stack = await startStack({ env: { HERALD_STREAM_MAX_ATTEMPTS: String(MAX_ATTEMPTS), HERALD_STREAM_RETRY_MS: '100' } });
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  redis = testRedisClient(stack.env);
});
after(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  await db?.end();
  redis?.disconnect();
  await stack?.stop();
});

async function withReceiver(t: Tenant): Promise<WebhookReceiver> {
  const rx = await WebhookReceiver.start();
  receivers.push(rx);
  await callOk(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/webhooks`, { token: t.token, json: { url: rx.url, events: ['message.published'] } });
  return rx;
}

async function archived(appId: string, channel: string): Promise<Array<{ offset: string; content: unknown }>> {
  const r = await db.query(`SELECT "offset", content FROM "ArchivedMessage" WHERE "appId" = $1 AND channel = $2 ORDER BY "offset"`, [appId, channel]);
  return r.rows;
}

const pendingOf = async (stream: string, group: string) => Number(((await redis.xpending(stream, group)) as [number])[0]);

async function adminToken(): Promise<string> {
  const t = await createTenant(stack.apiUrl);
  const me = await callOk<{ id: string }>(stack.apiUrl, 'GET', '/v1/me', { token: t.token });
  await db.query(`UPDATE "Account" SET role = 'admin' WHERE id = $1`, [me.id]);
  return t.token;
}

test('U+0000 and unpaired surrogates are ordinary content: delivered, archived and sent to webhooks unchanged, on REST and WebSocket', async () => {
  const a = await createTenant(stack.apiUrl);
  const b = await createTenant(stack.apiUrl);
  const rxA = await withReceiver(a);
  const rxB = await withReceiver(b);
  const sub = await WsClient.connect(stack.wsUrl(), a.subscribeKey);
  await sub.subscribe('p');

  const nul = '\u0000';
  const lone = { t: 'x\u0000y', s: '\ud800', pair: '\ud83d\ude00' };
  await restPublish(stack.apiUrl, a.secret, { channel: 'p', message: nul });
  const ws = await WsClient.connect(stack.wsUrl(), a.commonKey);
  const ack = await ws.request({ type: 'publish', channel: 'p', message: lone });
  assert.equal(ack.type, 'reply');
  assert.equal((ack.result as { offset: number }).offset, 2);
  // Another tenant's message right behind them.
  await restPublish(stack.apiUrl, b.secret, { channel: 'q', message: 'after the poison' });

  const live = await sub.waitForMessages(2, 'p');
  assert.deepEqual(live.map((m) => m.content), [nul, lone]);
  await rxB.waitForEvents(1, 'message.published', 10_000);
  await rxA.waitForEvents(2, 'message.published', 10_000);
  assert.deepEqual(rxA.acceptedEvents('message.published').map((e) => (e.data as { content: unknown }).content), [nul, lone]);
  await waitFor(async () => (await archived(a.appId, 'p')).length === 2, { what: 'both messages archived', timeoutMs: 10_000 });
  assert.deepEqual((await archived(a.appId, 'p')).map((r) => r.content), [nul, lone]);
  assert.deepEqual((await archived(b.appId, 'q')).map((r) => r.content), ['after the poison']);
  await waitFor(async () => (await pendingOf(RedisKeys.of(loadConfig({ ...environment(), ...stack.env })).archive(a.appId, 'p'), 'archivers')) === 0, { what: 'archive stream drained' });
  sub.close();
  ws.close();
});

test('an entry that cannot be stored is retried a bounded number of times, parked for the operator, and never holds up other apps', async () => {
  const a = await createTenant(stack.apiUrl);
  const b = await createTenant(stack.apiUrl);
  const rxB = await withReceiver(b);
  // What no publish can produce, but a bug or a corrupted Redis could: a frame that is not JSON (in its channel's shard).
  const stream = RedisKeys.of(loadConfig({ ...environment(), ...stack.env })).archive(a.appId, 'broken');
  await redis.xadd(stream, '*', 'k', `${a.appId}|broken`, 'f', '{"not json');
  const reply = await restPublish(stack.apiUrl, b.secret, { channel: 'q', message: { n: 1 } });

  await rxB.waitForEvents(1, 'message.published', 10_000);
  await waitFor(async () => (await archived(b.appId, 'q')).length === 1, { what: "b's message archived", timeoutMs: 10_000 });
  await waitFor(async () => (await pendingOf(stream, 'archivers')) === 0, { what: 'archive stream pending back to 0', timeoutMs: 10_000 });
  assert.equal(await redis.xlen(stream), 0, 'the parked entry left the archive stream');

  const admin = await adminToken();
  const list = await callOk<{ total: number; entries: Array<{ id: string; source: string; appId: string; attempts: number; error: string; fields: Record<string, string> }> }>(
    stack.apiUrl, 'GET', '/v1/admin/dead-letters', { token: admin },
  );
  const parked = list.entries.find((e) => e.appId === a.appId);
  assert.ok(parked, 'the entry is listed for the operator');
  assert.equal(parked.source, 'archive');
  assert.equal(parked.attempts, MAX_ATTEMPTS);
  assert.match(parked.error, /JSON/);
  assert.equal(parked.fields.f, '{"not json');
  assert.equal(reply.offset, 1);

  const metrics = await (await fetch(`${stack.apiUrl}/metrics`)).text();
  assert.match(metrics, /^herald_dead_letters\{[^}]*\} [1-9]\d*$/m);

  // Customers do not see the dead letters; a replay of a still-broken entry parks it again; drop removes it.
  assert.equal((await call(stack.apiUrl, 'GET', '/v1/admin/dead-letters', { token: b.token })).status, 403);
  assert.equal((await call(stack.apiUrl, 'POST', '/v1/admin/dead-letters/not-an-id/replay', { token: admin })).status, 404);
  assert.equal((await call(stack.apiUrl, 'POST', `/v1/admin/dead-letters/${parked.id}/replay`, { token: admin })).status, 204);
  let again: { id: string } | undefined;
  await waitFor(async () => {
    const l = await callOk<{ entries: Array<{ id: string; appId: string }> }>(stack.apiUrl, 'GET', '/v1/admin/dead-letters', { token: admin });
    again = l.entries.find((e) => e.appId === a.appId);
    return again !== undefined;
  }, { what: 'the replayed entry parked again', timeoutMs: 10_000 });
  assert.equal((await call(stack.apiUrl, 'DELETE', `/v1/admin/dead-letters/${again!.id}`, { token: admin })).status, 204);
  assert.equal((await call(stack.apiUrl, 'DELETE', `/v1/admin/dead-letters/${again!.id}`, { token: admin })).status, 404);
});
