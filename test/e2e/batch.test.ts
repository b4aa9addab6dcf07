import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WsClient, call, callOk, createTenant, onCluster, startStack, waitFor, type Stack } from '@herald/testing';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack.stop();
});

interface BatchReply {
  results: Array<{ index: number; ok: boolean; id?: string; channel?: string; offset?: number; duplicate?: boolean; error?: { code: number; reason: string } }>;
  accepted: number;
  failed: number;
}

const batch = (secret: string, items: unknown[]) => call<BatchReply>(stack.apiUrl, 'POST', '/v1/publish/batch', { token: secret, json: { items } });

test('a batch of 1,000 items: all stored and delivered once, in order per channel', async () => {
  const t = await createTenant(stack.apiUrl);
  const channels = ['b0', 'b1', 'b2', 'b3'];
  const ws = await WsClient.connect(stack.wsUrl(), t.commonKey);
  for (const c of channels) await ws.subscribe(c);
  const items = Array.from({ length: 1000 }, (_, i) => ({ channel: channels[i % 4], message: { i }, id: `item-${i}` }));
  const r = await batch(t.secret, items);
  assert.equal(r.status, 200);
  assert.equal(r.body.accepted, 1000);
  assert.equal(r.body.results.length, 1000);
  assert.deepEqual(r.body.results.map((x) => x.index), items.map((_, i) => i));
  for (const c of channels) {
    const mine = r.body.results.filter((x) => x.channel === c);
    assert.deepEqual(mine.map((x) => x.offset), Array.from({ length: 250 }, (_, i) => i + 1), `offsets of ${c}`);
  }
  for (const c of channels) {
    const got = await ws.waitForMessages(250, c, 20_000);
    assert.deepEqual(got.map((m) => (m.content as { i: number }).i), items.filter((it) => it.channel === c).map((it) => it.message.i), `order on ${c}`);
    assert.deepEqual(got.map((m) => m.offset), Array.from({ length: 250 }, (_, i) => i + 1));
  }
  // Stored: the history of each channel holds its 250.
  for (const c of channels) {
    const h = await callOk<{ messages: Array<{ id: string }> }>(stack.apiUrl, 'GET', `/v1/channels/${c}/history?limit=1000`, { token: t.secret });
    assert.equal(h.messages.length, 250);
  }
  // Idempotent by id: the same batch again stores and delivers nothing new.
  const again = await batch(t.secret, items);
  assert.ok(again.body.results.every((x) => x.ok && x.duplicate));
  const marker = await batch(t.secret, [{ channel: 'b0', message: 'end' }]);
  assert.equal(marker.body.results[0].offset, 251);
  await ws.waitForMessages(251, 'b0');
  assert.equal(ws.messages().length, 1001);
  ws.close();
});

test('one bad item fails alone; the others are accepted', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'free' });
  const r = await batch(t.secret, [
    { channel: 'ok', message: 1 },
    { channel: 'bad channel!', message: 2 },
    { channel: 'ok', message: 'x'.repeat(33 * 1024) },
    { channel: 'ok' },
    { channel: 'ok', message: 3, id: 'bad id with spaces' },
    null,
    { channel: 'ok', message: 4, id: 'good-4' },
  ]);
  assert.equal(r.status, 200);
  assert.deepEqual(
    r.body.results.map((x) => (x.ok ? 'ok' : x.error!.reason)),
    ['ok', 'invalid_channel', 'payload_too_large', 'invalid_message', 'invalid_message_id', 'invalid_channel', 'ok'],
  );
  assert.deepEqual([r.body.accepted, r.body.failed], [2, 5]);
  assert.deepEqual(r.body.results.filter((x) => x.ok).map((x) => x.offset), [1, 2]);
  // The same id reused on another channel within a batch: that item alone conflicts. On a cluster ids are
  // per channel (docs/protocol.md#idempotent-publish): it is a new message of that channel.
  const conflict = await batch(t.secret, [{ channel: 'other', message: 5, id: 'good-4' }, { channel: 'ok', message: 6 }]);
  assert.deepEqual(conflict.body.results.map((x) => (x.ok ? 'ok' : x.error!.reason)), [onCluster() ? 'ok' : 'message_id_conflict', 'ok']);
  if (onCluster()) assert.deepEqual(conflict.body.results.map((x) => [x.channel, x.offset, x.duplicate]), [['other', 1, false], ['ok', 3, false]]);
});

test('a batch over the item limit → 413 batch_too_large; empty or malformed → 400', async () => {
  const t = await createTenant(stack.apiUrl);
  const over = await batch(t.secret, Array.from({ length: 1001 }, (_, i) => ({ channel: 'c', message: i })));
  assert.deepEqual([over.status, (over.body as unknown as { reason: string }).reason], [413, 'batch_too_large']);
  const empty = await batch(t.secret, []);
  assert.equal(empty.status, 400);
  const notList = await call(stack.apiUrl, 'POST', '/v1/publish/batch', { token: t.secret, json: { items: 'nope' } });
  assert.equal(notList.status, 400);
  const sub = await batch(t.subscribeKey, [{ channel: 'c', message: 1 }]);
  assert.equal(sub.body.results[0].error?.reason, 'publish_forbidden');
  // Nothing of the refused batches was stored.
  const h = await callOk<{ offset: number }>(stack.apiUrl, 'GET', '/v1/channels/c/history', { token: t.secret });
  assert.equal(h.offset, 0);
});

test('history older than the Redis window comes from the archive, in order, paging back seamlessly', async () => {
  const t = await createTenant(stack.apiUrl, { historySize: 10 });
  const items = Array.from({ length: 60 }, (_, i) => ({ channel: 'long', message: { i }, id: `m-${i}` }));
  assert.equal((await batch(t.secret, items)).body.accepted, 60);
  const read = (q: string) => callOk<{ offset: number; messages: Array<{ offset: number; id: string; content: { i: number } }> }>(stack.apiUrl, 'GET', `/v1/channels/long/history?${q}`, { token: t.secret });
  // The window holds 10; the archive catches up within moments.
  await waitFor(async () => (await read('limit=60')).messages.length === 60, { timeoutMs: 10_000, what: 'archive caught up' });
  const all = await read('limit=60');
  assert.deepEqual(all.messages.map((m) => m.offset), Array.from({ length: 60 }, (_, i) => i + 1));
  assert.deepEqual(all.messages.map((m) => m.content.i), Array.from({ length: 60 }, (_, i) => i));
  // Paging back from the window's start, and forward from far behind it.
  const back = await read('limit=20&before=41');
  assert.deepEqual(back.messages.map((m) => m.offset), Array.from({ length: 20 }, (_, i) => i + 21));
  const forward = await read('limit=15&since=5');
  assert.deepEqual(forward.messages.map((m) => m.offset), Array.from({ length: 15 }, (_, i) => i + 6));
  const across = await read('limit=20&since=45');
  assert.deepEqual(across.messages.map((m) => m.offset), Array.from({ length: 15 }, (_, i) => i + 46));
  assert.deepEqual((await read('limit=5&before=1')).messages, []);
});
