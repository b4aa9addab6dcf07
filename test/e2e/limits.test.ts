import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { WsClient, call, callOk, createTenant, restPublish, startStack, waitFor, type Stack } from '@herald/testing';

// Two gateways (limits must hold across processes), short handshake timeout, small caps from config.
let stack: Stack;
let db: pg.Client;
before(async () => {
  stack = await startStack({
    gateways: 2,
    env: { HERALD_HEADERS_TIMEOUT_MS: '1500', HERALD_CONN_PUBLISH_RATE: '20', HERALD_MAX_PRESENCE_MEMBERS: '2' },
  });
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
});
after(async () => {
  await db.end();
  await stack.stop();
});

/** Moves an app to a plan of the test's own, with the limits it needs. */
async function planFor(appId: string, limits: { maxConnections?: number; maxMessagesPerDay?: number; maxPublishesPerSecond?: number }): Promise<void> {
  const id = `t-${randomBytes(4).toString('hex')}`;
  await db.query(
    `INSERT INTO "Plan" (id, name, "maxConnections", "maxMessagesPerDay", "maxPublishesPerSecond", "maxPayloadBytes", "historySize", "historyTtlSeconds", "maxChannelsPerConnection", "anyOrigin")
     VALUES ($1, $1, $2, $3, $4, 65536, 100, 3600, 100, true)`,
    [id, limits.maxConnections ?? 100, limits.maxMessagesPerDay ?? null, limits.maxPublishesPerSecond ?? 100],
  );
  await db.query('UPDATE "App" SET "planId" = $1 WHERE id = $2', [id, appId]);
  await new Promise((r) => setTimeout(r, 600)); // the key cache (500 ms in tests) forgets the old plan
}

test('concurrent connections: the plan cap holds across two gateways, and a freed slot is reusable', async () => {
  const t = await createTenant(stack.apiUrl);
  await planFor(t.appId, { maxConnections: 10 });
  const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => WsClient.connect(stack.wsUrl(i % 2), t.commonKey)));
  assert.ok(clients.every((c) => c.closeCode === undefined));
  for (const n of [0, 1]) {
    const extra = await WsClient.connect(stack.wsUrl(n), t.commonKey);
    assert.equal(await extra.waitClosed(), 4529);
    assert.match(extra.closeReason!, /^too_many_connections/);
  }
  const sse = await fetch(`${stack.gateways[1].url}/sse?appkey=${t.commonKey}&channel=c`);
  assert.deepEqual([sse.status, sse.headers.has('retry-after')], [429, true]);
  const usage = await callOk<{ connections: number; maxConnections: number }>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/usage`, { token: t.token });
  assert.deepEqual(usage, { ...usage, connections: 10, maxConnections: 10 });
  clients[0].close();
  await waitFor(async () => (await WsClient.connect(stack.wsUrl(1), t.commonKey)).closeCode === undefined, { what: 'a freed slot' });
  for (const c of clients) c.close();
});

test('a tenant flooding at 10x its publish rate gets 429s; another tenant in the same run gets every message', async () => {
  const a = await createTenant(stack.apiUrl);
  const b = await createTenant(stack.apiUrl);
  await planFor(a.appId, { maxPublishesPerSecond: 20 });
  await planFor(b.appId, { maxPublishesPerSecond: 20 });
  const sub = await WsClient.connect(stack.wsUrl(0), b.commonKey);
  await sub.subscribe('orders');
  // 400 publishes from 40 workers as fast as the machine allows (10x A's rate on an idle machine).
  const floodResults: Array<Awaited<ReturnType<typeof call<{ reason?: string }>>>> = [];
  let next = 0;
  const started = Date.now();
  const flood = Promise.all(
    Array.from({ length: 40 }, async () => {
      while (next < 400) {
        const i = next++;
        floodResults.push(await call<{ reason?: string }>(stack.apiUrl, 'POST', '/v1/publish', { token: a.secret, json: { channel: 'spam', message: i } }));
      }
    }),
  );
  const sentByB: number[] = [];
  for (let i = 0; i < 20; i++) {
    await restPublish(stack.apiUrl, b.secret, { channel: 'orders', message: i }); // never a 429: restPublish throws on one
    sentByB.push(i);
    await new Promise((r) => setTimeout(r, 100)); // 10/s, inside B's 20/s
  }
  await flood;
  // Whatever the machine's speed: A never got more than 20 a second through, and the rest were 429s.
  const seconds = Math.ceil((Date.now() - started) / 1000) + 1;
  const accepted = floodResults.filter((r) => r.status === 200).length;
  const limited = floodResults.filter((r) => r.status === 429);
  assert.equal(accepted + limited.length, 400);
  assert.ok(accepted <= 20 * seconds, `${accepted} accepted in ${seconds} s windows`);
  assert.ok(limited.length > 0);
  assert.ok(limited.every((r) => r.body.reason === 'rate_limited' && r.headers.get('retry-after') === '1'));
  // Refused publishes are not billed: A's day counts exactly what got through.
  const usage = await callOk<{ messagesToday: number }>(stack.apiUrl, 'GET', `/v1/apps/${a.appId}/usage`, { token: a.token });
  assert.equal(usage.messagesToday, accepted);
  const got = await sub.waitForMessages(20);
  assert.deepEqual(got.map((m) => m.content), sentByB);
  sub.close();
});

test('per connection: a client publishing faster than its own rate gets error frames and stays connected', async () => {
  const t = await createTenant(stack.apiUrl);
  const ws = await WsClient.connect(stack.wsUrl(0), t.commonKey);
  const started = Date.now();
  for (let i = 0; i < 60; i++) ws.send({ type: 'publish', id: `p${i}`, channel: 'c', message: i });
  await waitFor(() => ws.frames.filter((f) => f.type === 'reply' || f.type === 'error').length === 60);
  // A bucket of 20 refilled at 20/s: however slow the machine, no more than that got through.
  const elapsed = (Date.now() - started) / 1000;
  const errors = ws.frames.filter((f) => f.type === 'error');
  const accepted = 60 - errors.length;
  assert.ok(errors.length > 0 && errors.every((e) => e.reason === 'rate_limited'), `${errors.length} refused`);
  assert.ok(accepted <= 20 + Math.ceil(20 * elapsed), `${accepted} accepted in ${elapsed} s`);
  assert.equal((await ws.request({ type: 'ping' })).type, 'pong');
  ws.close();
});

test('daily quota: publishes plus deliveries; over it publishes get 429 quota_exceeded', async () => {
  const t = await createTenant(stack.apiUrl);
  await planFor(t.appId, { maxMessagesPerDay: 6 });
  const sub = await WsClient.connect(stack.wsUrl(0), t.commonKey);
  await sub.subscribe('c');
  for (let i = 0; i < 3; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: i }); // 3 publishes
  await sub.waitForMessages(3); // + 3 deliveries = 6
  await waitFor(async () => (await callOk<{ messagesToday: number }>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/usage`, { token: t.token })).messagesToday >= 6, { what: 'deliveries counted' });
  const over = await call<{ reason: string }>(stack.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: { channel: 'c', message: 'over' } });
  assert.deepEqual([over.status, over.body.reason], [429, 'quota_exceeded']);
  assert.ok(Number(over.headers.get('retry-after')) > 0);
  sub.close();
});

test('presence members per channel are capped (a second connection of a member still joins)', async () => {
  const t = await createTenant(stack.apiUrl);
  const join = async (id: string) => {
    const c = await WsClient.connect(stack.wsUrl(0), t.commonKey, { query: { id } });
    return [c, await c.request({ type: 'subscribe', channel: 'room', presence: true })] as const;
  };
  const [c1] = await join('u1');
  const [c2] = await join('u2');
  const [c3, third] = await join('u3');
  assert.equal(third.reason, 'too_many_members');
  const [c4, again] = await join('u1');
  assert.equal(again.type, 'subscribed');
  for (const c of [c1, c2, c3, c4]) c.close();
});

test('slowloris: hundreds of trickling handshakes are dropped by the timeout; a normal client still connects', async () => {
  const t = await createTenant(stack.apiUrl);
  const port = stack.gateways[1].port;
  const sockets: Socket[] = [];
  let closed = 0;
  for (let i = 0; i < 300; i++) {
    const s = tcpConnect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.on('close', () => closed++);
    s.write('GET /ws HTTP/1.1\r\n');
    sockets.push(s);
  }
  const trickle = setInterval(() => sockets.forEach((s) => !s.destroyed && s.write('X')), 400);
  try {
    const normal = await WsClient.connect(stack.wsUrl(1), t.commonKey);
    assert.equal((await normal.subscribe('c')).type, 'subscribed');
    normal.close();
    await waitFor(() => closed === 300, { timeoutMs: 6_000, what: `all trickling sockets closed (${closed})` });
  } finally {
    clearInterval(trickle);
    sockets.forEach((s) => s.destroy());
  }
});

test('a keep-alive connection that finished its handshake outlives the timeout: the fast routes and the framework’s both serve on it', async () => {
  const t = await createTenant(stack.apiUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (url: string, method = 'GET', body?: string) =>
    new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
      const req = http.request(url, { method, agent, headers: body ? { 'content-type': 'application/json', authorization: `Bearer ${t.secret}`, 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket }));
      });
      req.on('error', reject);
      req.end(body);
    });
  try {
    const pub = (n: number) => get(`${stack.apiUrl}/v1/publish`, 'POST', JSON.stringify({ channel: 'ka', message: n }));
    const poll = () => get(`${stack.gateways[0].url}/poll?appkey=${t.commonKey}&channel=ka&wait=0`);
    const health = (base: string) => get(`${base}/health`);
    // One at a time: a request queued for the agent's only socket reports reusedSocket false even when it reuses it.
    const first = [await pub(1), await poll(), await health(stack.apiUrl), await health(stack.gateways[0].url)];
    await new Promise((r) => setTimeout(r, 2_500)); // past HERALD_HEADERS_TIMEOUT_MS (1.5 s)
    const later = [await pub(2), await poll(), await health(stack.apiUrl), await health(stack.gateways[0].url)];
    assert.deepEqual(first.map((r) => r.status), [200, 200, 200, 200]);
    assert.deepEqual(later.map((r) => [r.status, r.reused]), [[200, true], [200, true], [200, true], [200, true]]);
  } finally {
    agent.destroy();
  }
});

test('a slow consumer is disconnected with 4502 instead of growing the gateway', async () => {
  const t = await createTenant(stack.apiUrl);
  const ws = new WebSocket(`${stack.wsUrl(0)}?appkey=${t.commonKey}`);
  const frames: string[] = [];
  ws.on('message', (d: Buffer) => frames.push(d.toString().slice(0, 40)));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'subscribe', id: 1, channel: 'big' }));
  await waitFor(() => frames.some((f) => f.startsWith('{"type":"subscribed"')));
  const closed = new Promise<number>((r) => ws.once('close', (code: number) => r(code)));
  (ws as unknown as { _socket: Socket })._socket.pause(); // stop reading
  const blob = 'x'.repeat(60_000);
  // 9 MB in 10 rounds of 15 concurrent publishes: the buffer passes 1 MiB long before the paused client's
  // missing pongs could end the connection (4501), however slow a loaded machine makes each request.
  for (let round = 0; round < 10; round++) await Promise.all(Array.from({ length: 15 }, () => restPublish(stack.apiUrl, t.secret, { channel: 'big', message: blob })));
  await new Promise((r) => setTimeout(r, 500));
  (ws as unknown as { _socket: Socket })._socket.resume();
  assert.equal(await closed, 4502);
});

test('one-shot HTTP requests (publish, history, hereNow, refused polls) never hold connection slots', async () => {
  const t = await createTenant(stack.apiUrl);
  await planFor(t.appId, { maxConnections: 2 });
  const gw = stack.gateways[0].url;
  for (let i = 0; i < 5; i++) {
    const p = await fetch(`${gw}/publish?appkey=${t.commonKey}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'c', message: i }) });
    assert.equal(p.status, 200);
    assert.equal((await fetch(`${gw}/history?appkey=${t.commonKey}&channel=c`)).status, 200);
    assert.equal((await fetch(`${gw}/herenow?appkey=${t.commonKey}&channel=c`)).status, 200);
    assert.equal((await fetch(`${gw}/poll?appkey=${t.commonKey}&channel=c&cursor=garbage`)).status, 400);
  }
  const clients = await Promise.all([0, 1].map((n) => WsClient.connect(stack.wsUrl(n), t.commonKey)));
  assert.ok(clients.every((c) => c.closeCode === undefined), 'slots were leaked');
  for (const c of clients) c.close();
});
