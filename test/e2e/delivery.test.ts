import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { WsClient, createTenant, restPublish, startStack, waitFor, type Frame, type Stack } from '@herald/testing';

// One API, gateway and worker as real processes; every test makes its own tenant.
let stack: Stack;

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack.stop();
});

/** Waits until the channel's history holds `offset` (accepted messages are appended just after). */
async function appended(appkey: string, channel: string, offset: number): Promise<void> {
  await waitFor(async () => {
    const r = await fetch(`${stack.gateways[0].url}/history?appkey=${appkey}&channel=${channel}&limit=1`);
    return ((await r.json()) as { offset: number }).offset >= offset;
  }, { what: `${channel} appended up to ${offset}` });
}

/** Publishes `n` messages with up to `parallel` in flight; returns the replies in offset order. */
async function publishMany(secret: string, channel: string, n: number, parallel = 16, tag = 'm') {
  const replies: Awaited<ReturnType<typeof restPublish>>[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        const i = next++;
        replies.push(await restPublish(stack.apiUrl, secret, { channel, message: { i }, id: `${tag}-${i}` }));
      }
    }),
  );
  return replies.sort((a, b) => a.offset - b.offset);
}

function assertContiguous(messages: Frame[], from: number, count: number): void {
  assert.equal(messages.length, count, `expected ${count} messages, got ${messages.length}`);
  messages.forEach((m, i) => assert.equal(m.offset, from + i, `gap or duplicate at position ${i}`));
  assert.equal(new Set(messages.map((m) => m.id)).size, count, 'duplicate message ids');
}

test('a WebSocket subscriber with the common key receives a REST publish', async () => {
  const t = await createTenant(stack.apiUrl);
  const ws = await WsClient.connect(stack.wsUrl(), t.commonKey);
  const sub = await ws.subscribe('news');
  assert.equal(sub.type, 'subscribed');
  assert.equal(sub.recovered, true);
  const reply = await restPublish(stack.apiUrl, t.secret, { channel: 'news', message: { hello: 'world' } });
  const [m] = await ws.waitForMessages(1);
  assert.deepEqual(
    { channel: m.channel, id: m.id, offset: m.offset, epoch: m.epoch, content: m.content },
    { channel: 'news', id: reply.id, offset: 1, epoch: sub.epoch, content: { hello: 'world' } },
  );
  assert.equal(typeof m.time, 'number');
  ws.close();
});

test('1,000 messages published while the client is away are replayed in order, no gap, no duplicate', async () => {
  const t = await createTenant(stack.apiUrl);
  const first = await WsClient.connect(stack.wsUrl(), t.subscribeKey);
  const sub = await first.subscribe('feed');
  await restPublish(stack.apiUrl, t.secret, { channel: 'feed', message: 'before' });
  const [seen] = await first.waitForMessages(1);
  first.close();

  const replies = await publishMany(t.secret, 'feed', 1000);
  assert.deepEqual(replies.map((r) => r.offset), Array.from({ length: 1000 }, (_, i) => i + 2));

  await appended(t.subscribeKey, 'feed', 1001);
  const back = await WsClient.connect(stack.wsUrl(), t.subscribeKey);
  const resumed = await back.subscribe('feed', { offset: seen.offset as number, epoch: sub.epoch as string });
  assert.equal(resumed.recovered, true);
  assert.equal(resumed.replayed, 1000);
  const messages = await back.waitForMessages(1000, 'feed', 20_000);
  assertContiguous(messages, 2, 1000);
  assert.deepEqual(messages.map((m) => m.id), replies.map((r) => r.id));

  // and then live, with no gap after the replay
  await restPublish(stack.apiUrl, t.secret, { channel: 'feed', message: 'live' });
  const all = await back.waitForMessages(1001, 'feed');
  assertContiguous(all, 2, 1001);
  back.close();
});

test('an offset older than the window gives recovered: false, then live delivery', async () => {
  const t = await createTenant(stack.apiUrl, { historySize: 10 });
  const first = await WsClient.connect(stack.wsUrl(), t.commonKey);
  const sub = await first.subscribe('small');
  first.close();
  await publishMany(t.secret, 'small', 25, 4);
  await appended(t.commonKey, 'small', 25);
  const back = await WsClient.connect(stack.wsUrl(), t.commonKey);
  const resumed = await back.subscribe('small', { offset: 0, epoch: sub.epoch as string });
  assert.equal(resumed.recovered, false);
  assert.equal(resumed.replayed, 0);
  assert.equal(resumed.offset, 25);
  // A position inside the window still recovers.
  const inside = await WsClient.connect(stack.wsUrl(), t.commonKey);
  const r2 = await inside.subscribe('small', { offset: 20, epoch: sub.epoch as string });
  assert.equal(r2.recovered, true);
  assertContiguous(await inside.waitForMessages(5), 21, 5);
  // An unknown epoch never recovers.
  const other = await WsClient.connect(stack.wsUrl(), t.commonKey);
  assert.equal((await other.subscribe('small', { offset: 20, epoch: 'NotTheEpoch' })).recovered, false);
  await restPublish(stack.apiUrl, t.secret, { channel: 'small', message: 'next' });
  const [m] = await back.waitForMessages(1);
  assert.equal(m.offset, 26);
  for (const c of [back, inside, other]) c.close();
});

test('two tenants on the same channel name never see each other', async () => {
  const a = await createTenant(stack.apiUrl);
  const b = await createTenant(stack.apiUrl);
  const wa = await WsClient.connect(stack.wsUrl(), a.commonKey);
  const wb = await WsClient.connect(stack.wsUrl(), b.commonKey);
  await wa.subscribe('lobby');
  await wb.subscribe('lobby');
  await restPublish(stack.apiUrl, a.secret, { channel: 'lobby', message: 'for A' });
  await restPublish(stack.apiUrl, b.secret, { channel: 'lobby', message: 'for B' });
  wa.send({ type: 'publish', channel: 'lobby', message: 'A by ws' });
  await wa.waitForMessages(2);
  await wb.waitForMessages(1);
  // B's canary went out after A's REST publish; give A's socket time to (wrongly) receive it.
  await restPublish(stack.apiUrl, b.secret, { channel: 'lobby', message: 'B canary' });
  await wb.waitForMessages(2);
  await restPublish(stack.apiUrl, a.secret, { channel: 'lobby', message: 'A last' });
  await wa.waitForMessages(3);
  assert.deepEqual(wa.messages().map((m) => m.content), ['for A', 'A by ws', 'A last']);
  assert.deepEqual(wb.messages().map((m) => m.content), ['for B', 'B canary']);
  wa.close();
  wb.close();
});

test('bad input: keys, capabilities, frames and sizes get documented answers; the connection survives', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'free' });
  const unknown = await WsClient.connect(stack.wsUrl(), 'BC-' + 'x'.repeat(32));
  assert.equal(await unknown.waitClosed(), 4401);
  assert.match(unknown.closeReason!, /^invalid_key/);
  const nokey = await WsClient.connect(stack.wsUrl(), '');
  assert.equal(await nokey.waitClosed(), 4401);

  const subOnly = await WsClient.connect(stack.wsUrl(), t.subscribeKey);
  const refused = await subOnly.request({ type: 'publish', channel: 'c', message: 'x' });
  assert.deepEqual([refused.type, refused.code, refused.reason], ['error', 403, 'publish_forbidden']);

  const ws = await WsClient.connect(stack.wsUrl(), t.commonKey);
  ws.send('{not json');
  await waitFor(() => ws.frames.some((f) => f.reason === 'invalid_json'));
  const badChannel = await ws.request({ type: 'subscribe', channel: 'no spaces' });
  assert.deepEqual([badChannel.code, badChannel.reason], [400, 'invalid_channel']);
  const tooBig = await ws.request({ type: 'publish', channel: 'c', message: 'x'.repeat(40_000) });
  assert.deepEqual([tooBig.code, tooBig.reason], [413, 'payload_too_large']);
  const privateCh = await ws.request({ type: 'subscribe', channel: 'private-x' });
  assert.equal(privateCh.reason, 'token_required');
  // still usable after all of that
  const ok = await ws.request({ type: 'publish', channel: 'c', message: 'fine' });
  assert.equal(ok.type, 'reply');
  assert.equal((await ws.request({ type: 'ping' })).type, 'pong');

  // a frame over the 1 MiB hard limit closes with 1009
  ws.send(JSON.stringify({ type: 'publish', channel: 'c', message: 'y'.repeat(1024 * 1024 + 10) }));
  assert.equal(await ws.waitClosed(), 1009);
  // and the gateway keeps serving others
  const again = await WsClient.connect(stack.wsUrl(), t.commonKey);
  assert.equal((await again.subscribe('c')).type, 'subscribed');
  for (const c of [subOnly, again]) c.close();
});

test('a revoked key is refused on connect with its close code', async () => {
  const t = await createTenant(stack.apiUrl);
  const keys = (await (await fetch(`${stack.apiUrl}/v1/apps/${t.appId}/keys`, { headers: { authorization: `Bearer ${t.token}` } })).json()) as Array<{ id: string; kind: string }>;
  const common = keys.find((k) => k.kind === 'common')!;
  const r = await fetch(`${stack.apiUrl}/v1/apps/${t.appId}/keys/${common.id}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` } });
  assert.equal(r.status, 200);
  const ws = await WsClient.connect(stack.wsUrl(), t.commonKey);
  assert.equal(await ws.waitClosed(), 4402);
  assert.match(ws.closeReason!, /^key_revoked/);
});

test('the server pings; a silent peer is closed after ping interval + pong timeout', async () => {
  const t = await createTenant(stack.apiUrl);
  const alive = await WsClient.connect(stack.wsUrl(), t.commonKey);
  // A client that never answers: no protocol pongs, no frames.
  const silent = await WsClient.connect(stack.wsUrl(), t.commonKey, { autoPong: false });
  await waitFor(() => silent.frames.some((f) => f.type === 'ping'), { timeoutMs: 6_000, what: 'server ping' });
  assert.equal(await silent.waitClosed(12_000), 4501);
  // the one whose `ws` answered protocol pings is still open
  assert.equal(alive.closeCode, undefined);
  alive.close();
});

test('appended messages are archived to Postgres in batches, once each', async () => {
  const t = await createTenant(stack.apiUrl);
  const replies = await publishMany(t.secret, 'archived', 50, 8, 'a');
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    const rows = async () =>
      (await db.query<{ offset: string; messageId: string }>('SELECT "offset", "messageId" FROM "ArchivedMessage" WHERE "appId" = $1 AND channel = $2 ORDER BY "offset"', [t.appId, 'archived'])).rows;
    await waitFor(async () => (await rows()).length === 50, { timeoutMs: 10_000, what: '50 archived rows' });
    const stored = await rows();
    assert.deepEqual(stored.map((r) => Number(r.offset)), replies.map((r) => r.offset));
    assert.deepEqual(stored.map((r) => r.messageId), replies.map((r) => r.id));
  } finally {
    await db.end();
  }
});

test('origins: a listed origin or none is accepted; another is closed with 4403, however long its name', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'pro', allowedOrigins: ['https://shop.example'] });
  const listed = await WsClient.connect(stack.wsUrl(), t.commonKey, { headers: { origin: 'https://shop.example' } });
  assert.equal(listed.closeCode, undefined);
  const server = await WsClient.connect(stack.wsUrl(), t.commonKey);
  assert.equal(server.closeCode, undefined);
  const other = await WsClient.connect(stack.wsUrl(), t.commonKey, { headers: { origin: 'https://evil.example' } });
  assert.equal(await other.waitClosed(), 4403);
  assert.match(other.closeReason!, /^origin_not_allowed/);
  // A reason longer than the 123 bytes a close frame may carry must not take the gateway down.
  const longName = await WsClient.connect(stack.wsUrl(), t.commonKey, { headers: { origin: `https://${'é'.repeat(100)}.example` } });
  assert.equal(await longName.waitClosed(), 4403);
  assert.ok(Buffer.byteLength(longName.closeReason!) <= 123);
  const stillUp = await WsClient.connect(stack.wsUrl(), t.commonKey);
  assert.equal((await stillUp.subscribe('c')).type, 'subscribed');
  for (const c of [listed, server, stillUp]) c.close();
});
