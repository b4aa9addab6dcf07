import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { TcpProxy, WsClient, createTenant, restPublish, startStack, waitFor, type Stack } from '@herald/testing';
import { pollObserver, sseObserver, wsObserver, type Observer } from './transport-observers.js';

// Two gateways and a worker as real processes; short SSE retry/heartbeat and long-poll hold.
let stack: Stack;
before(async () => {
  stack = await startStack({
    gateways: 2,
    env: { HERALD_SSE_RETRY_MS: '100', HERALD_SSE_HEARTBEAT_MS: '300', HERALD_POLL_HOLD_MS: '1500' },
  });
});
after(async () => {
  await stack.stop();
});

const gw = (n: number) => stack.gateways[n].url;

async function publishSequence(secret: string, channel: string, n: number, atHalf: () => void): Promise<string[]> {
  const ids: string[] = new Array(n);
  let next = 0;
  let accepted = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < n) {
        const i = next++;
        const r = await restPublish(stack.apiUrl, secret, { channel, message: { i }, id: `s-${i}` });
        ids[r.offset - 1] = r.id;
        if (++accepted === n / 2) atHalf();
      }
    }),
  );
  return ids;
}

test('transport parity: 2,000 messages with a forced disconnect mid-way — identical over WS, SSE and long-polling', async () => {
  const t = await createTenant(stack.apiUrl);
  const channel = 'parity';
  const wsProxy = await TcpProxy.start(stack.gateways[0].port);
  const sseProxy = await TcpProxy.start(stack.gateways[0].port);
  let ready = 0;
  const onReady = () => ready++;
  const observers: Record<string, Observer> = {
    ws: wsObserver(`ws://127.0.0.1:${wsProxy.port}`, t.commonKey, channel, onReady),
    sse: sseObserver(sseProxy.url, t.commonKey, channel, onReady),
  };
  const poll = pollObserver(() => [gw(0), gw(1)], t.commonKey, channel, onReady);
  observers.poll = poll;
  try {
    await waitFor(() => ready >= 3, { what: 'all three subscribed' });
    const ids = await publishSequence(t.secret, channel, 2000, () => {
      // The network drops every connection; the clients land on the other gateway.
      for (const p of [wsProxy, sseProxy]) {
        p.retarget(stack.gateways[1].port);
        p.cut();
      }
      poll.abort();
    });
    for (const [name, o] of Object.entries(observers)) {
      await waitFor(() => o.seen.length >= 2000, { timeoutMs: 30_000, what: `${name}: 2000 messages (has ${o.seen.length})` });
      assert.deepEqual(o.seen.map((m) => m.offset), Array.from({ length: 2000 }, (_, i) => i + 1), `${name}: gap, duplicate or disorder`);
      assert.deepEqual(o.seen.map((m) => m.id), ids, `${name}: ids`);
      assert.equal(o.unrecovered, 0, `${name}: a resume failed`);
    }
  } finally {
    for (const o of Object.values(observers)) o.stop();
    await wsProxy.stop();
    await sseProxy.stop();
  }
});

test('SSE: Last-Event-ID from one gateway resumes on the other; retry hint and comment heartbeats', async () => {
  const t = await createTenant(stack.apiUrl);
  const raw = await fetch(`${gw(0)}/sse?appkey=${t.commonKey}&channel=c`);
  assert.equal(raw.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.match(raw.headers.get('cache-control')!, /no-cache/);
  assert.equal(raw.headers.get('x-accel-buffering'), 'no');
  const reader = raw.body!.getReader();
  let text = '';
  const readUntil = async (pred: () => boolean) => {
    while (!pred()) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
  };
  await readUntil(() => text.includes('event: subscribed'));
  for (let i = 0; i < 3; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: i });
  await readUntil(() => (text.match(/"type":"message"/g) ?? []).length === 3 && (text.match(/^: ping$/gm) ?? []).length >= 2);
  assert.match(text, /^retry: 100$/m);
  const ids = [...text.matchAll(/^id: (.+)$/gm)].map((m) => m[1]);
  const lastId = ids.at(-1)!;
  await reader.cancel();

  for (let i = 3; i < 6; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: i });
  await waitFor(async () => ((await (await fetch(`${gw(0)}/history?appkey=${t.commonKey}&channel=c&limit=1`)).json()) as { offset: number }).offset === 6);
  // The other gateway, with the id as a header (what EventSource sends) and as a query parameter.
  const viaHeader = await fetch(`${gw(1)}/poll?appkey=${t.commonKey}&channel=c&cursor=${lastId}`);
  assert.deepEqual(((await viaHeader.json()) as { frames: Array<{ content: number }> }).frames.map((f) => f.content), [3, 4, 5]);
  const es = new EventSource(`${gw(1)}/sse?appkey=${t.commonKey}&channel=c&lastEventId=${lastId}`);
  const got: number[] = [];
  es.onmessage = (e) => got.push(JSON.parse(e.data).content);
  await waitFor(() => got.length === 3, { what: 'replay over SSE on the other gateway' });
  assert.deepEqual(got, [3, 4, 5]);
  es.close();
});

test('long-polling: held until a message, empty after the hold, many messages per answer', async () => {
  const t = await createTenant(stack.apiUrl);
  const start = (await (await fetch(`${gw(0)}/poll?appkey=${t.commonKey}&channel=c&wait=0`)).json()) as { cursor: string; frames: unknown[] };
  assert.deepEqual(start.frames, []);
  const held = fetch(`${gw(1)}/poll?appkey=${t.commonKey}&channel=c&cursor=${start.cursor}`).then((r) => r.json() as Promise<{ cursor: string; frames: Array<{ offset: number }> }>);
  await new Promise((r) => setTimeout(r, 200));
  await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: 'wake' });
  const first = await held;
  assert.deepEqual(first.frames.map((f) => f.offset), [1]);
  for (let i = 0; i < 5; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: i });
  // Accepted is not yet appended: a poll answers with what history holds, so wait for all five there.
  await waitFor(async () => ((await (await fetch(`${gw(0)}/history?appkey=${t.commonKey}&channel=c&limit=1`)).json()) as { offset: number }).offset === 6);
  const many = (await (await fetch(`${gw(0)}/poll?appkey=${t.commonKey}&channel=c&cursor=${first.cursor}`)).json()) as { cursor: string; frames: Array<{ offset: number }> };
  assert.deepEqual(many.frames.map((f) => f.offset), [2, 3, 4, 5, 6]);
  const t0 = Date.now();
  const empty = (await (await fetch(`${gw(1)}/poll?appkey=${t.commonKey}&channel=c&cursor=${many.cursor}`)).json()) as { cursor: string; frames: unknown[] };
  assert.deepEqual(empty.frames, []);
  assert.ok(Date.now() - t0 >= 1400, 'answered before the hold time');
  assert.equal(empty.cursor, many.cursor);
});

test('bad input on SSE and long-polling: clear errors, never another tenant', async () => {
  const a = await createTenant(stack.apiUrl, { planId: 'free' });
  const b = await createTenant(stack.apiUrl);
  const status = async (url: string, init?: RequestInit) => {
    const r = await fetch(url, init);
    return [r.status, ((await r.json()) as { reason: string }).reason];
  };
  assert.deepEqual(await status(`${gw(0)}/sse?appkey=${a.commonKey}&channel=c`, { headers: { 'Last-Event-ID': 'garbage' } }), [400, 'invalid_position']);
  assert.deepEqual(await status(`${gw(0)}/poll?appkey=${a.commonKey}&channel=c&cursor=v1.bm9wZQ`), [400, 'invalid_position']);
  assert.deepEqual(await status(`${gw(0)}/poll?appkey=${a.commonKey}&channel=bad%20name`), [400, 'invalid_channel']);
  assert.deepEqual(await status(`${gw(0)}/poll?appkey=${a.commonKey}`), [400, 'invalid_request']);
  assert.deepEqual(await status(`${gw(0)}/sse?appkey=nope&channel=c`), [401, 'invalid_key']);
  const tooMany = Array.from({ length: 101 }, (_, i) => `channel=c${i}`).join('&');
  assert.deepEqual(await status(`${gw(0)}/sse?appkey=${a.commonKey}&${tooMany}`), [429, 'too_many_channels']);
  assert.deepEqual(await status(`${gw(0)}/poll?appkey=${a.commonKey}&${tooMany}`), [429, 'too_many_channels']);
  assert.deepEqual(await status(`${gw(0)}/publish?appkey=${a.subscribeKey}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"channel":"c","message":1}' }), [403, 'publish_forbidden']);
  // /poll and /sse are served before the framework: other methods still get the one error shape.
  assert.deepEqual(await status(`${gw(0)}/poll?appkey=${a.commonKey}&channel=c`, { method: 'POST', body: '{}' }), [404, 'not_found']);
  assert.deepEqual(await status(`${gw(0)}/sse/?appkey=${a.commonKey}&channel=c`, { method: 'DELETE' }), [404, 'not_found']);
  const preflight = await fetch(`${gw(0)}/poll/?appkey=${a.commonKey}`, { method: 'OPTIONS', headers: { origin: 'https://page.example', 'access-control-request-method': 'GET' } });
  assert.deepEqual([preflight.status, preflight.headers.get('access-control-allow-origin'), preflight.headers.get('access-control-allow-methods')], [204, 'https://page.example', 'GET']);
  assert.deepEqual(await status(`${gw(0)}/poll/?appkey=${a.commonKey}&channel=c&wait=x`), [400, 'invalid_request']);

  // Tenant A polls and streams "c"; B publishes a canary on its own "c": A never sees it.
  const es = new EventSource(`${gw(0)}/sse?appkey=${a.commonKey}&channel=c`);
  const seen: unknown[] = [];
  es.onmessage = (e) => seen.push(JSON.parse(e.data).content);
  const start = (await (await fetch(`${gw(1)}/poll?appkey=${a.commonKey}&channel=c&wait=0`)).json()) as { cursor: string };
  await new Promise((r) => setTimeout(r, 300));
  await restPublish(stack.apiUrl, b.secret, { channel: 'c', message: 'B canary' });
  const pub = await fetch(`${gw(1)}/publish?appkey=${a.commonKey}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"channel":"c","message":"A"}' });
  assert.equal(pub.status, 200);
  const polled = (await (await fetch(`${gw(1)}/poll?appkey=${a.commonKey}&channel=c&cursor=${start.cursor}`)).json()) as { frames: Array<{ content: unknown }> };
  assert.deepEqual(polled.frames.map((f) => f.content), ['A']);
  await waitFor(() => seen.length === 1);
  assert.deepEqual(seen, ['A']);
  es.close();
});

test('SIGTERM drains a gateway: clients are told to reconnect and resume on another with no gap', async () => {
  const t = await createTenant(stack.apiUrl);
  const extra = await stack.startGateway();
  const ws = await WsClient.connect(`${extra.url.replace('http', 'ws')}/ws`, t.commonKey);
  const sub = await ws.subscribe('drain');
  await restPublish(stack.apiUrl, t.secret, { channel: 'drain', message: 0 });
  const [m0] = await ws.waitForMessages(1);
  await extra.stop('SIGTERM');
  assert.equal(await ws.waitClosed(), 4500);
  for (let i = 1; i <= 5; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'drain', message: i });
  const again = await WsClient.connect(stack.wsUrl(1), t.commonKey);
  const resumed = await again.subscribe('drain', { offset: m0.offset as number, epoch: sub.epoch as string });
  assert.equal(resumed.recovered, true);
  assert.deepEqual((await again.waitForMessages(5)).map((m) => m.content), [1, 2, 3, 4, 5]);
  again.close();
});
