import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { EventSource } from 'eventsource';
import { TcpProxy, createTenant, restPublish, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';
import { WAIT_MS, sdk, type Sdk } from './sdk.js';

// The gateway's transport switch for real: WebSocket is off (upgrade → 404), so the SDK falls back
// to SSE, or to long-polling when asked to skip SSE; both must subscribe, publish, read and resume.
let stack: Stack;
let proxy: TcpProxy;
before(async () => {
  stack = await startStack({ env: { HERALD_TRANSPORTS: 'sse,poll', HERALD_POLL_HOLD_MS: '1500', HERALD_SSE_RETRY_MS: '100' } });
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

function client(t: Tenant, transports?: Sdk.TransportName[]): Sdk.HeraldClient {
  const c = sdk.init({ host: proxy.url, appkey: t.commonKey, transports, WebSocket, EventSource, minReconnectDelay: 50, maxReconnectDelay: 300 });
  clients.push(c);
  return c;
}

async function exercise(transports: Sdk.TransportName[] | undefined, expected: Sdk.TransportName): Promise<void> {
  const t = await createTenant(stack.apiUrl);
  const c = client(t, transports);
  const a: Sdk.HeraldMessage[] = [];
  const b: Sdk.HeraldMessage[] = [];
  await c.connect();
  assert.equal(c.getTransport(), expected);
  await c.pubsub.subscribe({ channel: 'a', onMessage: (m) => a.push(m) });
  await c.pubsub.publish({ channel: 'a', message: 'first' });
  await waitFor(() => a.length === 1, { timeoutMs: WAIT_MS, what: `${expected}: first message` });
  // A second channel reopens the stream/poll with a cursor: channel a keeps its continuity.
  await c.pubsub.subscribe({ channel: 'b', onMessage: (m) => b.push(m) });
  for (let i = 0; i < 5; i++) await restPublish(stack.apiUrl, t.secret, { channel: i % 2 ? 'b' : 'a', message: i });
  await waitFor(() => a.length === 4 && b.length === 2, { timeoutMs: WAIT_MS, what: `${expected}: 4 on a, 2 on b` });

  proxy.cut();
  for (let i = 5; i < 25; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'a', message: i });
  await waitFor(() => a.length === 24, { timeoutMs: WAIT_MS, what: `${expected}: 24 on a (has ${a.length})` });
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(a.map((m) => m.offset), Array.from({ length: 24 }, (_, i) => i + 1), `${expected}: gap, duplicate or disorder`);
  assert.equal(c.getTransport(), expected, 'stays on the transport that worked');

  const h = await c.pubsub.history({ channel: 'b' });
  assert.deepEqual(h.content.messages.map((m) => m.content), [1, 3]);
  const here = await c.pubsub.hereNow({ channel: 'a' });
  assert.equal(here.content.amount, 0);
}

test('WebSocket switched off: the SDK falls back to SSE and works there', async () => {
  await exercise(undefined, 'sse');
});

test('WebSocket off and SSE skipped: long-polling subscribes, publishes, reads and resumes', async () => {
  await exercise(['websocket', 'polling'], 'polling');
});

test('presence over SSE: members join, events flow; on long-polling membership is refused clearly', async () => {
  const t = await createTenant(stack.apiUrl);
  const watcher = client(t);
  const events: Sdk.PresenceEvent[] = [];
  await watcher.connect();
  const snapshot = await watcher.pubsub.subscribePresence({ channel: 'lobby', onPresence: (e) => events.push(e) });
  assert.equal(snapshot.content.amount, 0);
  const member = client(t);
  await member.connect({ id: 'bo', data: { nick: 'Bo' } });
  await member.pubsub.subscribe({ channel: 'lobby', presence: true, onMessage: () => undefined });
  await waitFor(() => events.some((e) => e.action === 'join'), { timeoutMs: WAIT_MS, what: 'join event' });
  assert.deepEqual(events.at(-1)?.members, [{ id: 'bo', data: { nick: 'Bo' } }]);

  const poller = client(t, ['polling']);
  const errs: Sdk.ErrorShape[] = [];
  poller.on('error', (e) => errs.push(e));
  await poller.connect({ id: 'cy' });
  await poller.pubsub.subscribe({ channel: 'lobby', presence: true, onMessage: () => undefined });
  await waitFor(() => errs.length > 0, { timeoutMs: WAIT_MS, what: 'presence refusal reported' });
  assert.equal(errs[0].reason, 'invalid_request');
});
