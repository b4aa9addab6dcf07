import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WsClient, createTenant, restPublish, startStack, waitFor, type Stack } from '@herald/testing';
import { startNginx, type Nginx } from './nginx-proxy.js';

// deploy/nginx/herald.conf, the example docs/scaling.md gives for N gateways behind one address, run by
// Debian's nginx in front of an API and two gateways: every request of these tests goes through it.
let stack: Stack;
let nginx: Nginx;
before(async () => {
  stack = await startStack({ gateways: 2 });
  nginx = await startNginx({ gateways: stack.gateways.map((g) => g.port), api: [stack.api.port] });
});
after(async () => {
  await nginx?.stop();
  await stack?.stop();
});

/** An SSE stream read as it arrives: `until` fails when the stream ends (or times out) first. */
async function openSse(url: string) {
  // A proxy that buffers holds back even the headers: fail after a while rather than at the file's timeout.
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no SSE response through nginx within 10 s: ${url}`)), 10_000);
  const res = await fetch(url, { signal: ac.signal }).finally(() => clearTimeout(timer));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const s = { text: '', ended: false };
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return void (s.ended = true);
      s.text += decoder.decode(value, { stream: true });
    }
  })();
  return {
    get text() {
      return s.text;
    },
    async until(pred: (text: string) => boolean, what: string) {
      await waitFor(
        () => {
          if (pred(s.text)) return true;
          if (s.ended) throw new Error(`the SSE stream ended before ${what}; got: ${s.text}`);
          return false;
        },
        { what: `${what} over SSE through nginx` },
      );
    },
    ended: () => s.ended,
    async close() {
      await reader.cancel().catch(() => undefined);
      await pump;
    },
  };
}

/** The `message` frames in an SSE text so far (each a complete event: data line, then a blank line). */
const messages = (text: string) =>
  [...text.matchAll(/^data: (.*)\n\n/gm)].map((m) => JSON.parse(m[1]) as { type: string; offset: number; content: unknown }).filter((f) => f.type === 'message');

test('through nginx: the API signs up and takes a REST publish; WebSocket, SSE and long-poll subscribers receive it, SSE frames unbuffered', async () => {
  const t = await createTenant(nginx.url);
  const ws = await WsClient.connect(`${nginx.url.replace('http', 'ws')}/ws`, t.subscribeKey);
  assert.equal((await ws.subscribe('news')).type, 'subscribed');
  const sse = await openSse(`${nginx.url}/sse?appkey=${t.subscribeKey}&channel=news`);
  await sse.until((x) => x.includes('event: subscribed'), 'the subscribed event');
  const start = (await (await fetch(`${nginx.url}/poll?appkey=${t.subscribeKey}&channel=news&wait=0`)).json()) as { cursor: string };
  const held = fetch(`${nginx.url}/poll?appkey=${t.subscribeKey}&channel=news&cursor=${start.cursor}`).then((r) => r.json() as Promise<{ frames: Array<{ offset: number; content: unknown }> }>);

  const first = await restPublish(nginx.url, t.secret, { channel: 'news', message: { n: 1 } });
  assert.equal(first.offset, 1);
  assert.deepEqual((await ws.waitForMessages(1)).map((m) => m.content), [{ n: 1 }]);
  // Each frame reaches the client while the stream stays open: nginx passes it on as the gateway writes it.
  await sse.until((x) => messages(x).length === 1, 'the first message');
  assert.deepEqual((await held).frames.map((f) => [f.offset, f.content]), [[1, { n: 1 }]]);
  await restPublish(nginx.url, t.secret, { channel: 'news', message: { n: 2 } });
  await sse.until((x) => messages(x).length === 2, 'the second message');
  assert.deepEqual(messages(sse.text).map((m) => [m.offset, m.content]), [[1, { n: 1 }], [2, { n: 2 }]]);
  assert.equal(sse.ended(), false);
  assert.deepEqual((await ws.waitForMessages(2)).map((m) => m.offset), [1, 2]);
  ws.close();
  await sse.close();
});

test('no client affinity: connections from one client address are spread over both gateways', async () => {
  const t = await createTenant(nginx.url);
  const opened = async () =>
    Promise.all(
      stack.gateways.map(async (g) => {
        const text = await (await fetch(`${g.url}/metrics`)).text();
        const count = (transport: string) => Number(new RegExp(`^herald_connections_total\\{[^}]*transport="${transport}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
        return { ws: count('ws'), sse: count('sse') };
      }),
    );
  const was = await opened();
  const sockets: WsClient[] = [];
  for (let i = 0; i < 4; i++) {
    const ws = await WsClient.connect(`${nginx.url.replace('http', 'ws')}/ws`, t.subscribeKey);
    assert.equal((await ws.subscribe('spread')).type, 'subscribed');
    sockets.push(ws);
  }
  const streams: Array<Awaited<ReturnType<typeof openSse>>> = [];
  for (let i = 0; i < 4; i++) {
    const s = await openSse(`${nginx.url}/sse?appkey=${t.subscribeKey}&channel=spread`);
    await s.until((x) => x.includes('event: subscribed'), 'subscribed');
    streams.push(s);
  }
  const now = await opened();
  const added = now.map((a, k) => ({ ws: a.ws - was[k].ws, sse: a.sse - was[k].sse }));
  assert.equal(added.reduce((n, a) => n + a.ws, 0), 4, `WebSocket connections per gateway: ${JSON.stringify(added)}`);
  assert.equal(added.reduce((n, a) => n + a.sse, 0), 4, `SSE streams per gateway: ${JSON.stringify(added)}`);
  for (const [k, a] of added.entries()) {
    assert.ok(a.ws >= 1, `gateway ${k + 1} got no WebSocket connection: ${JSON.stringify(added)}`);
    assert.ok(a.sse >= 1, `gateway ${k + 1} got no SSE stream: ${JSON.stringify(added)}`);
  }
  // Both gateways' subscribers get a publish through the one address.
  await restPublish(nginx.url, t.secret, { channel: 'spread', message: 'all' });
  for (const s of streams) await s.until((x) => messages(x).length === 1, 'the publish');
  for (const s of sockets) assert.deepEqual((await s.waitForMessages(1)).map((m) => m.content), ['all']);
  for (const s of sockets) s.close();
  for (const s of streams) await s.close();
});
