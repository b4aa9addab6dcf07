import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { WsClient, createTenant, restPublish, startStack, waitFor, type Frame, type Stack } from '@herald/testing';

const SSE_WAIT_MS = Number(process.env.HERALD_SDK_TEST_TIMEOUT_MS || 20_000);

// Two gateways and a worker; a short presence lease so a dead gateway's members lapse quickly.
let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 2, env: { HERALD_PRESENCE_LEASE_MS: '1500', HERALD_DRAIN_TIMEOUT_MS: '3000' } });
});
after(async () => {
  await stack.stop();
});

const member = (id: string, data: object) => ({ query: { id, data: JSON.stringify(data) } });
const wsOn = (url: string) => `${url.replace('http', 'ws')}/ws`;
const events = (c: WsClient) => c.frames.filter((f) => f.type === 'presence').map((f) => `${f.action}:${(f.member as { id: string }).id}:${f.amount}`);

async function hereNow(c: WsClient, channel: string): Promise<{ amount: number; members: Array<{ id: string; data: unknown }> }> {
  const r = await c.request({ type: 'herenow', channel });
  return r.result as { amount: number; members: Array<{ id: string; data: unknown }> };
}

test('join and leave events; a user with several connections is counted once; hereNow agrees across gateways', async () => {
  const t = await createTenant(stack.apiUrl);
  const watcher = await WsClient.connect(stack.wsUrl(1), t.subscribeKey);
  const first = await watcher.request({ type: 'presence_subscribe', channel: 'room' });
  assert.deepEqual(first.result, { channel: 'room', amount: 0, members: [] });

  const ann1 = await WsClient.connect(stack.wsUrl(0), t.commonKey, member('ann', { name: 'Ann' }));
  assert.equal((await ann1.request({ type: 'subscribe', channel: 'room', presence: true })).type, 'subscribed');
  await waitFor(() => events(watcher).length === 1);
  const ann2 = await WsClient.connect(stack.wsUrl(1), t.commonKey, member('ann', { name: 'Ann (phone)' }));
  await ann2.request({ type: 'subscribe', channel: 'room', presence: { enable: true } });
  const bob = await WsClient.connect(stack.wsUrl(1), t.commonKey, member('bob', { name: 'Bob' }));
  await bob.request({ type: 'subscribe', channel: 'room', presence: true });
  await waitFor(() => events(watcher).length === 2);

  for (const c of [watcher, ann1]) {
    const now = await hereNow(c, 'room');
    assert.equal(now.amount, 2);
    assert.deepEqual(now.members.map((m) => m.id).sort(), ['ann', 'bob']);
    assert.deepEqual(now.members.find((m) => m.id === 'ann')!.data, { name: 'Ann' });
  }
  const rest = await (await fetch(`${stack.apiUrl}/v2/pubsub/herenow?appkey=${t.commonKey}&channel=room`)).json();
  assert.deepEqual({ code: rest.code, amount: rest.content.amount }, { code: 200, amount: 2 });

  ann1.close(); // Ann still has her phone: no leave
  await bob.request({ type: 'unsubscribe', channel: 'room' });
  await waitFor(() => events(watcher).length === 3);
  ann2.close();
  await waitFor(() => events(watcher).length === 4);
  assert.deepEqual(events(watcher), ['join:ann:1', 'join:bob:2', 'leave:bob:1', 'leave:ann:0']);
  const frame = watcher.frames.find((f) => f.type === 'presence') as Frame;
  assert.deepEqual(frame.member, { id: 'ann', data: { name: 'Ann' } });
  assert.equal(frame.channel, 'room');
  watcher.close();
  bob.close();
});

test('a gateway killed with SIGKILL: its members time out within the lease', async () => {
  const t = await createTenant(stack.apiUrl);
  const doomed = await stack.startGateway();
  const cara = await WsClient.connect(wsOn(doomed.url), t.commonKey, member('cara', {}));
  await cara.request({ type: 'subscribe', channel: 'lobby', presence: true });
  const watcher = await WsClient.connect(stack.wsUrl(0), t.commonKey);
  await watcher.request({ type: 'presence_subscribe', channel: 'lobby' });
  assert.equal((await hereNow(watcher, 'lobby')).amount, 1);
  const killedAt = Date.now();
  await doomed.stop('SIGKILL');
  await waitFor(() => events(watcher).includes('timeout:cara:0'), { timeoutMs: 6_000, what: 'timeout event' });
  assert.ok(Date.now() - killedAt < 1500 + 1000, `members lingered ${Date.now() - killedAt} ms`);
  assert.equal((await hereNow(watcher, 'lobby')).amount, 0);
  watcher.close();
});

test('presence needs a user id; bad ids are refused at connect', async () => {
  const t = await createTenant(stack.apiUrl);
  const anon = await WsClient.connect(stack.wsUrl(0), t.commonKey);
  const r = await anon.request({ type: 'subscribe', channel: 'room', presence: true });
  assert.deepEqual([r.type, r.reason], ['error', 'invalid_request']);
  const bad = await WsClient.connect(stack.wsUrl(0), t.commonKey, { query: { id: 'no spaces|pipes' } });
  assert.equal(await bad.waitClosed(), 4400);
  anon.close();
});

test('gateway metrics move with traffic, and /ready turns false while a gateway drains', async () => {
  const t = await createTenant(stack.apiUrl);
  const g = await stack.startGateway();
  const ws = await WsClient.connect(wsOn(g.url), t.commonKey);
  await ws.subscribe('m');
  await restPublish(stack.apiUrl, t.secret, { channel: 'm', message: 1 });
  await ws.waitForMessages(1);
  const metrics = await (await fetch(`${g.url}/metrics`)).text();
  assert.match(metrics, /herald_connections\{[^}]*transport="ws"[^}]*\} 1/);
  assert.match(metrics, /herald_messages_out_total\{[^}]*transport="ws"[^}]*\} 1/);
  assert.match(metrics, /herald_publish_to_deliver_seconds_count\{[^}]*transport="ws"[^}]*\} 1/);

  // A client that never answers the close handshake keeps the drain open for a while.
  const stuck = tcpConnect(g.port, '127.0.0.1');
  stuck.write(`GET /ws?appkey=${t.commonKey} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  stuck.on('error', () => undefined);
  stuck.pause();
  await waitFor(async () => /herald_connections\{[^}]*transport="ws"[^}]*\} 2/.test(await (await fetch(`${g.url}/metrics`)).text()));
  const stopping = g.stop('SIGTERM');
  await waitFor(async () => (await fetch(`${g.url}/ready`).catch(() => undefined))?.status === 503, { what: '/ready 503 while draining' });
  assert.equal(await ws.waitClosed(), 4500);
  await stopping;
  stuck.destroy();
});

test('presence over SSE (member and events) and long-polling (events; membership refused)', async () => {
  const t = await createTenant(stack.apiUrl);
  const gw = stack.gateways[0].url;
  const watcher = await fetch(`${gw}/sse?appkey=${t.subscribeKey}&channel=hall&presence_events=1`);
  const reader = watcher.body!.getReader();
  let text = '';
  // Reads the watcher's stream until `pred` holds; a stream that ends or stays silent fails with what it saw.
  const readUntil = async (pred: () => boolean, what: string) => {
    const deadline = Date.now() + SSE_WAIT_MS;
    while (!pred()) {
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([reader.read(), new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
      if (chunk === 'late') assert.fail(`no ${what} within ${SSE_WAIT_MS} ms; the watcher saw: ${text}`);
      if (chunk.done) assert.fail(`the watcher's stream ended before ${what}; it saw: ${text}`);
      text += new TextDecoder().decode(chunk.value);
    }
  };
  await readUntil(() => text.includes('event: subscribed'), 'subscribed');
  const leaving = new AbortController();
  const dana = await fetch(`${stack.gateways[1].url}/sse?appkey=${t.commonKey}&channel=hall&presence=1&id=dana&data=${encodeURIComponent('{"role":"host"}')}`, { signal: leaving.signal });
  await readUntil(() => text.includes('"action":"join"'), "dana's join");
  assert.match(text, /event: presence\ndata: \{"type":"presence","channel":"hall","action":"join","member":\{"id":"dana","data":\{"role":"host"\}\}/);
  leaving.abort();
  await dana.body?.cancel().catch(() => undefined);
  await readUntil(() => text.includes('"action":"leave"'), "dana's leave");
  await reader.cancel();

  const refused = await fetch(`${gw}/poll?appkey=${t.commonKey}&channel=hall&presence=1&id=eve`);
  assert.deepEqual([refused.status, ((await refused.json()) as { reason: string }).reason], [400, 'invalid_request']);
  const polling = fetch(`${gw}/poll?appkey=${t.commonKey}&channel=hall&presence_events=1`).then((r) => r.json() as Promise<{ frames: Frame[] }>);
  await new Promise((r) => setTimeout(r, 300));
  const fay = await WsClient.connect(stack.wsUrl(1), t.commonKey, member('fay', {}));
  await fay.request({ type: 'subscribe', channel: 'hall', presence: true });
  const answer = await polling;
  assert.deepEqual(answer.frames.map((f) => `${f.type}:${f.action}`), ['presence:join']);
  fay.close();
});

test('history and hereNow from the gateway: WS frames and HTTP, same answers as the API', async () => {
  const t = await createTenant(stack.apiUrl);
  for (let i = 0; i < 3; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'news', message: i });
  const gina = await WsClient.connect(stack.wsUrl(0), t.commonKey, member('gina', { x: 1 }));
  await gina.request({ type: 'subscribe', channel: 'news', presence: true });
  await waitFor(async () => ((await (await fetch(`${stack.gateways[1].url}/history?appkey=${t.commonKey}&channel=news`)).json()) as { offset: number }).offset === 3);
  const viaWs = (await gina.request({ type: 'history', channel: 'news', limit: 2 })).result as { messages: Array<{ content: number }> };
  assert.deepEqual(viaWs.messages.map((m) => m.content), [1, 2]);
  const since = (await gina.request({ type: 'history', channel: 'news', since: 2 })).result as { messages: Array<{ offset: number }> };
  assert.deepEqual(since.messages.map((m) => m.offset), [3]);
  const viaHttp = (await (await fetch(`${stack.gateways[1].url}/history?appkey=${t.subscribeKey}&channel=news&limit=2`)).json()) as { messages: Array<{ content: number }> };
  assert.deepEqual(viaHttp.messages.map((m) => m.content), [1, 2]);
  const here = (await (await fetch(`${stack.gateways[1].url}/herenow?appkey=${t.subscribeKey}&channel=news`)).json()) as { amount: number; members: Array<{ id: string }> };
  assert.deepEqual([here.amount, here.members[0].id], [1, 'gina']);
  const bad = await fetch(`${stack.gateways[1].url}/history?appkey=${t.subscribeKey}&channel=news&limit=5000`);
  assert.deepEqual([bad.status, ((await bad.json()) as { reason: string }).reason], [400, 'invalid_request']);
  gina.close();
});
