import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { TcpProxy, createTenant, restPublish, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';
import { WAIT_MS, sdk, type Sdk } from './sdk.js';

// The SDK in Node against the real apps: api + one gateway + a worker, a TCP proxy in front of the
// gateway that the test cuts, and a second gateway started when the first one goes away.
let stack: Stack;
let proxy: TcpProxy;
before(async () => {
  stack = await startStack({ gateways: 1 });
  proxy = await TcpProxy.start(stack.gateways[0].port);
}, { timeout: 60_000 });
after(async () => {
  await proxy?.stop();
  await stack?.stop();
}, { timeout: 30_000 });

const clients: Sdk.HeraldClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.disconnect()));
});

function client(t: Tenant, extra: Partial<Sdk.HeraldOptions> = {}): Sdk.HeraldClient {
  return track(sdk.init({ host: `127.0.0.1:${proxy.port}`, appkey: t.commonKey, WebSocket, minReconnectDelay: 50, maxReconnectDelay: 300, ...extra }));
}

function track(c: Sdk.HeraldClient): Sdk.HeraldClient {
  clients.push(c);
  return c;
}

/** Statuses as the app sees them, in order. */
function statuses(c: Sdk.HeraldClient): Sdk.ConnectionStatus[] {
  const seen: Sdk.ConnectionStatus[] = [];
  c.on('status', (s) => seen.push(s));
  return seen;
}

async function publishMany(t: Tenant, channel: string, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) await restPublish(stack.apiUrl, t.secret, { channel, message: { i }, id: `m-${i}` });
}

test('subscribe, publish (callbacks and promises), history, hereNow with presence over WebSocket', async () => {
  const t = await createTenant(stack.apiUrl);
  const c = client(t);
  const got: Sdk.HeraldMessage[] = [];
  let subscribedByCallback = false;
  // Called before connect(): queued until the connection opens.
  const subscribed = c.pubsub.subscribe({ channel: 'room', presence: { enable: true }, onMessage: (m) => got.push(m), onSuccess: () => (subscribedByCallback = true) });
  await c.connect({ id: 'ann', data: { nick: 'Ann' } });
  assert.equal(c.getConnectionStatus(), 'connected');
  assert.equal(c.getTransport(), 'websocket');
  await subscribed;
  assert.ok(subscribedByCallback);

  let published: Sdk.PublishResult | undefined;
  const r = await c.pubsub.publish({ channel: 'room', message: 'hello', onSuccess: (x) => (published = x) });
  assert.equal(r.channel, 'room');
  assert.equal(published?.offset, r.offset);
  await restPublish(stack.apiUrl, t.secret, { channel: 'room', message: { from: 'server' } });
  await waitFor(() => got.length === 2, { timeoutMs: WAIT_MS, what: 'two messages' });
  assert.deepEqual(got.map((m) => m.content), ['hello', { from: 'server' }]);
  assert.equal(got[0].id, r.id);
  assert.ok(got[1].time > 0 && got[1].offset === got[0].offset + 1);

  const h = await c.pubsub.history({ channel: 'room', limit: 10 });
  assert.equal(h.code, 200);
  assert.deepEqual(h.content.messages.map((m) => m.content), ['hello', { from: 'server' }]);
  const here = await c.pubsub.hereNow({ channel: 'room' });
  assert.equal(here.content.amount, 1);
  assert.deepEqual(here.content.members, [{ id: 'ann', data: { nick: 'Ann' } }]);

  // Validation errors come back as {code, content, reason}, by callback and by rejection.
  let failed: Sdk.ErrorShape | undefined;
  await assert.rejects(c.pubsub.publish({ channel: 'bad channel', message: 1, onFailed: (e) => (failed = e) }), { code: 400, reason: 'invalid_channel' });
  assert.equal(failed?.reason, 'invalid_channel');
  await c.disconnect();
  assert.equal(c.getConnectionStatus(), 'disconnected');
});

test('a bad key ends in connect_failed with its reason, without retrying', async () => {
  const c = client({ commonKey: 'BC-nope' } as Tenant);
  const seen = statuses(c);
  let attempts = 0;
  await assert.rejects(c.connect({ onProgress: (n) => (attempts = n) }), (e: Sdk.ErrorShape) => e.code === 401 && e.reason === 'invalid_key');
  assert.equal(c.getConnectionStatus(), 'connect_failed');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(attempts, 1, 'no retry after a refusal');
  assert.deepEqual(seen, ['connecting', 'connect_failed']);
});

test('the connection is cut: reconnecting → reconnected, every missed message once, in order', async () => {
  const t = await createTenant(stack.apiUrl);
  const c = client(t);
  const seen = statuses(c);
  const got: number[] = [];
  const offsets: number[] = [];
  const lost: Sdk.RecoveredEvent[] = [];
  c.on('recovered', (e) => lost.push(e));
  await c.connect();
  await c.pubsub.subscribe({
    channel: 'feed',
    onMessage: (m) => {
      got.push((m.content as { i: number }).i);
      offsets.push(m.offset);
    },
  });
  await publishMany(t, 'feed', 0, 10);
  await waitFor(() => got.length === 10, { timeoutMs: WAIT_MS, what: 'first 10' });

  proxy.cut();
  await waitFor(() => c.getConnectionStatus() !== 'connected', { timeoutMs: WAIT_MS, what: 'the cut noticed' });
  // A publish made while disconnected waits in the queue and goes out on reconnect.
  const queued = c.pubsub.publish({ channel: 'feed', message: { i: 10 } });
  await publishMany(t, 'feed', 11, 20);
  await queued;
  await publishMany(t, 'feed', 31, 5);
  await waitFor(() => got.length >= 36, { timeoutMs: WAIT_MS, what: `36 messages (has ${got.length})` });
  await new Promise((r) => setTimeout(r, 200));
  // The queued publish lands when the client is back, among the server's: order is the channel's.
  assert.deepEqual(offsets, Array.from({ length: 36 }, (_, i) => i + 1), 'gap, duplicate or disorder');
  assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: 36 }, (_, i) => i));
  assert.deepEqual(lost, []);
  assert.equal(seen[0], 'connecting');
  assert.ok(seen.includes('reconnecting') && seen.at(-1) === 'reconnected', seen.join(' → '));
  await c.disconnect();
});

test('gateway restart: drained by SIGTERM, the client resumes on the new gateway', async () => {
  const t = await createTenant(stack.apiUrl);
  const c = client(t);
  const got: number[] = [];
  await c.connect();
  await c.pubsub.subscribe({ channel: 'restart', onMessage: (m) => got.push((m.content as { i: number }).i) });
  await publishMany(t, 'restart', 0, 5);
  await waitFor(() => got.length === 5, { timeoutMs: WAIT_MS, what: 'first 5' });

  const old = stack.gateways[0];
  const next = await stack.startGateway();
  await old.stop('SIGTERM');
  proxy.retarget(next.port);
  await publishMany(t, 'restart', 5, 15);
  await waitFor(() => got.length >= 20, { timeoutMs: WAIT_MS, what: `20 messages (has ${got.length})` });
  assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i));
  assert.equal(c.getConnectionStatus(), 'reconnected');
  await c.disconnect();
});
