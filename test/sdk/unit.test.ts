import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCursor as serverDecode, encodeCursor as serverEncode } from '@herald/protocol';
import { sdk, type Sdk } from './sdk.js';
import { FakeClock, FakeEventSource, FakeSocket } from './fakes.js';

// Unit tests of the SDK's pieces, with a fake clock and an in-process fake socket: no network.

test('backoff: full jitter under a ceiling that doubles up to the cap', () => {
  const top = new sdk.Backoff(100, 1000, () => 0.999999);
  assert.deepEqual(Array.from({ length: 6 }, () => top.next()), [99, 199, 399, 799, 999, 999]);
  const low = new sdk.Backoff(100, 1000, () => 0);
  assert.equal(low.next(), 0, 'full jitter reaches zero');
  const b = new sdk.Backoff(100, 1000, () => 0.5);
  b.next();
  b.next();
  b.reset();
  assert.equal(b.next(), 50);
  assert.equal(b.attempts, 1);
});

test('connection state machine: the GoEasy statuses, and moves the table does not list are ignored', () => {
  const seen: string[] = [];
  const m = new sdk.ConnectionMachine((s) => seen.push(s));
  for (const e of ['open', 'connect', 'lost', 'open', 'lost', 'open', 'lost', 'fail', 'connect', 'open', 'disconnect', 'open', 'closed'] as const) m.send(e);
  assert.deepEqual(seen, ['connecting', 'connected', 'reconnecting', 'reconnected', 'reconnecting', 'connect_failed', 'connecting', 'connected', 'disconnecting', 'disconnected']);
  assert.equal(sdk.nextStatus('disconnecting', 'open'), null);
  assert.equal(sdk.nextStatus('connect_failed', 'lost'), null);
});

test('subscription state machine: resubscribe keeps the position; duplicates by offset are dropped', () => {
  const s = new sdk.SubscriptionMachine();
  assert.equal(s.send('confirm'), false);
  assert.ok(s.send('request') && s.send('confirm'));
  assert.ok(s.advance(1, 'E') && s.advance(2, 'E'));
  assert.equal(s.advance(2, 'E'), false, 'same offset again');
  assert.ok(s.send('lost'));
  assert.equal(s.status, 'subscribing');
  assert.deepEqual(s.position, { offset: 2, epoch: 'E' });
  assert.ok(s.advance(1, 'F'), 'a new epoch starts over');
  assert.ok(s.send('remove'));
  assert.equal(s.status, 'unsubscribed');
  assert.equal(sdk.nextSubscriptionStatus('unsubscribed', 'lost'), null);
});

test('recent ids: bounded, oldest forgotten first', () => {
  const r = new sdk.RecentIds(2);
  assert.equal(r.check('a'), false);
  assert.equal(r.check('b'), false);
  assert.equal(r.check('a'), true);
  assert.equal(r.check('c'), false);
  assert.equal(r.check('a'), false, 'a was the oldest');
});

test('cursor: the SDK writes what the gateway reads, and reads what it writes', () => {
  const positions: Array<[string, Sdk.Position]> = [['chat:1', { epoch: 'Ab1', offset: 7 }], ['b=c@d,e.f;g:h!', { epoch: 'X', offset: 0 }]];
  assert.deepEqual([...serverDecode(sdk.encodeCursor(positions))], positions);
  assert.deepEqual([...sdk.decodeCursor(serverEncode(positions))], positions);
  assert.equal(sdk.decodeCursor('garbage').size, 0);
});

let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
  FakeSocket.all = [];
  FakeEventSource.all = [];
});

function fakeClient(extra: Partial<Sdk.HeraldOptions> = {}): Sdk.HeraldClient {
  return sdk.init({ host: 'gw.test:3001', appkey: 'BC-k', WebSocket: FakeSocket, timers: clock, random: () => 0.5, minReconnectDelay: 100, maxReconnectDelay: 1000, transports: ['websocket'], ...extra });
}

test('client: silence past pingInterval + pongTimeout reconnects; pings are answered', async () => {
  const c = fakeClient();
  const seen: string[] = [];
  c.on('status', (s) => seen.push(s));
  const connected = c.connect({ id: 'u1', data: { a: 1 } });
  assert.match(FakeSocket.last.url, /^ws:\/\/gw\.test:3001\/ws\?appkey=BC-k&id=u1&data=%7B%22a%22%3A1%7D$/);
  FakeSocket.last.accept(1000, 500);
  await connected;
  FakeSocket.last.frame({ type: 'ping' });
  assert.deepEqual(FakeSocket.last.sent.at(-1), { type: 'pong' });
  clock.advance(1400);
  assert.equal(c.getConnectionStatus(), 'connected', 'the ping reset the deadline');
  clock.advance(100);
  assert.equal(c.getConnectionStatus(), 'reconnecting');
  assert.deepEqual(clock.pending, [50], 'full jitter: 0.5 × 100 ms');
  clock.advance(50);
  assert.equal(FakeSocket.all.length, 2);
  FakeSocket.last.accept();
  assert.deepEqual(seen, ['connecting', 'connected', 'reconnecting', 'reconnected']);
  await c.disconnect();
});

test('sse: a stream silent past pingInterval + pongTimeout is dropped and reopened with the cursor; ping events keep it', async () => {
  // The gateway answers the idle probe (no channel yet) with 200: key and transport are fine.
  const fetch = (async () => new Response('', { status: 200 })) as unknown as typeof globalThis.fetch;
  const c = fakeClient({ transports: ['sse'], EventSource: FakeEventSource, fetch });
  const seen: string[] = [];
  c.on('status', (s) => seen.push(s));
  await c.connect();
  const got: number[] = [];
  const sub = c.pubsub.subscribe({ channel: 'a', onMessage: (m) => got.push(m.offset) });
  for (let i = 0; i < 5 && FakeEventSource.all.length === 0; i++) await Promise.resolve();
  const first = FakeEventSource.last;
  assert.match(first.url, /^http:\/\/gw\.test:3001\/sse\?appkey=BC-k&channel=a$/);
  first.event({ type: 'connected', connectionId: 's1', pingInterval: 1000, pongTimeout: 500 });
  first.event({ type: 'subscribed', channel: 'a', epoch: 'E1', offset: 0, recovered: true, replayed: 0 });
  await sub;
  first.event({ type: 'message', channel: 'a', id: 'm1', time: 1, content: 1, offset: 1, epoch: 'E1' });
  clock.advance(1400);
  first.event({ type: 'ping' });
  clock.advance(1400);
  assert.equal(c.getConnectionStatus(), 'connected', 'the ping event reset the deadline');
  assert.equal(first.closed, false);
  clock.advance(100);
  assert.equal(first.closed, true, 'a silent stream is closed by the SDK, not left to EventSource');
  assert.equal(c.getConnectionStatus(), 'reconnecting');
  clock.advance(1000);
  assert.equal(FakeEventSource.all.length, 2);
  assert.match(FakeEventSource.last.url, /[?&]channel=a&lastEventId=[^&]+$/, 'reopened with the position it had');
  FakeEventSource.last.event({ type: 'connected', connectionId: 's2', pingInterval: 1000, pongTimeout: 500 });
  FakeEventSource.last.event({ type: 'message', channel: 'a', id: 'm2', time: 1, content: 2, offset: 2, epoch: 'E1' });
  assert.deepEqual(got, [1, 2]);
  assert.deepEqual(seen, ['connecting', 'connected', 'reconnecting', 'reconnected']);
  await c.disconnect();
});

test('client: resubscribes from the last position, drops replayed duplicates, surfaces recovered:false', async () => {
  const c = fakeClient();
  const got: number[] = [];
  const lost: Sdk.RecoveredEvent[] = [];
  c.on('recovered', (e) => lost.push(e));
  const sub = c.pubsub.subscribe({ channel: 'a', onMessage: (m) => got.push(m.offset) });
  const connected = c.connect();
  FakeSocket.last.accept();
  await connected;
  FakeSocket.last.confirmSubscriptions(3);
  await sub;
  for (const offset of [4, 5]) FakeSocket.last.frame({ type: 'message', channel: 'a', id: `m${offset}`, time: 1, content: offset, offset, epoch: 'E1' });
  FakeSocket.last.close(1006, '');
  clock.advance(1000);
  FakeSocket.last.accept();
  const resub = FakeSocket.last.sent.find((f) => f.type === 'subscribe') as { channels: unknown[] };
  assert.deepEqual(resub.channels, [{ channel: 'a', offset: 5, epoch: 'E1' }]);
  FakeSocket.last.frame({ type: 'subscribed', channel: 'a', epoch: 'E1', offset: 7, recovered: true, replayed: 2 });
  for (const offset of [5, 6, 7, 7]) FakeSocket.last.frame({ type: 'message', channel: 'a', id: `m${offset}`, time: 1, content: offset, offset, epoch: 'E1' });
  assert.deepEqual(got, [4, 5, 6, 7]);
  FakeSocket.last.frame({ type: 'reset', channel: 'a', epoch: 'E2', offset: 0 });
  FakeSocket.last.frame({ type: 'message', channel: 'a', id: 'n1', time: 1, content: 1, offset: 1, epoch: 'E2' });
  assert.deepEqual(got, [4, 5, 6, 7, 1]);
  assert.deepEqual(lost, [{ channel: 'a', recovered: false, epoch: 'E2', offset: 0, cause: 'reset' }]);
  // A message of a new epoch with no reset before it is a lost continuity too, never a silent jump.
  FakeSocket.last.frame({ type: 'message', channel: 'a', id: 'x1', time: 1, content: 1, offset: 1, epoch: 'E3' });
  assert.deepEqual(got, [4, 5, 6, 7, 1, 1]);
  assert.deepEqual(lost.at(-1), { channel: 'a', recovered: false, epoch: 'E3', offset: 0, cause: 'reset' });
  await c.disconnect();
});

test('client: a 44xx close is terminal (connect_failed, no retry); queued calls fail with it', async () => {
  const c = fakeClient();
  const connected = c.connect();
  const publish = c.pubsub.publish({ channel: 'a', message: 1 });
  FakeSocket.last.readyState = 1;
  FakeSocket.last.onopen?.({});
  FakeSocket.last.close(4403, 'origin_not_allowed: Origin https://evil.test is not allowed for this app');
  await assert.rejects(connected, { code: 403, reason: 'origin_not_allowed', content: 'Origin https://evil.test is not allowed for this app' });
  await assert.rejects(publish, { reason: 'origin_not_allowed' });
  assert.equal(c.getConnectionStatus(), 'connect_failed');
  clock.advance(60_000);
  assert.equal(FakeSocket.all.length, 1);
});

test('client: calls while disconnected queue (bounded) and time out; a transport that never opens is retried with backoff', async () => {
  const c = fakeClient({ maxQueued: 2, requestTimeout: 5000, connectTimeout: 1000 });
  const connecting = c.connect().catch((e: Sdk.ErrorShape) => e);
  const a = c.pubsub.publish({ channel: 'a', message: 1 });
  const b = c.pubsub.history({ channel: 'a' });
  await assert.rejects(c.pubsub.hereNow({ channel: 'a' }), { code: 503, reason: 'unavailable' });
  FakeSocket.last.close(1006, '');
  assert.equal(c.getConnectionStatus(), 'connecting', 'still the first connection');
  assert.deepEqual(clock.pending.slice(0, 1), [50]);
  clock.advance(5000);
  await assert.rejects(a, { code: 408, reason: 'timeout' });
  await assert.rejects(b, { code: 408 });
  // 0: closed at once → 50 ms; then each attempt times out after 1 s and waits 100, 200, 400 ms…
  assert.equal(FakeSocket.all.length, 5, 'kept trying, with growing waits');
  await c.disconnect();
  assert.equal(c.getConnectionStatus(), 'disconnected');
  assert.equal(((await connecting) as Sdk.ErrorShape).reason, 'unavailable', 'a pending connect() ends with the disconnect');
});

test('token refresh: runs a minute before expiry, the fresh token is what resubscribes send, stops on unsubscribe', async () => {
  const sign = (exp: number) => `h.${Buffer.from(JSON.stringify({ channel: 'private-a', r: true, exp })).toString('base64url')}.s`;
  assert.equal(sdk.tokenExpiry(sign(1234)), 1234);
  assert.equal(sdk.tokenExpiry('garbage'), undefined);
  let now = 1_000_000_000_000;
  const timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const clock = {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return t;
    },
    clearTimeout: (t: unknown) => void ((t as { live: boolean }).live = false),
  };
  const advance = async (ms: number) => {
    now += ms;
    for (const t of timers.filter((x) => x.live && x.at <= now)) {
      t.live = false;
      t.fn();
      await new Promise((r) => setImmediate(r));
    }
  };
  const target: { channel: string; accessToken?: string } = { channel: 'private-a', accessToken: sign(now / 1000 + 600) };
  const asked: string[] = [];
  const stop = sdk.keepTokenFresh(target, (channel) => {
    asked.push(channel);
    return sign(now / 1000 + 600);
  }, () => undefined, clock);
  await advance(600_000 - sdk.REFRESH_LEAD_MS - 1);
  assert.deepEqual(asked, []);
  await advance(2);
  assert.deepEqual(asked, ['private-a']);
  assert.equal(sdk.tokenExpiry(target.accessToken!), now / 1000 + 600);
  stop();
  await advance(3_600_000);
  assert.equal(asked.length, 1);
});

test('herald.push refuses before any request: no API URL, bad channels, no subscription; subscribe() outside a browser is push_unsupported', async () => {
  const requests: string[] = [];
  const fetch = (async (url: string) => {
    requests.push(url);
    throw new Error('no request is expected');
  }) as unknown as Sdk.FetchLike;
  const noApi = sdk.init({ host: 'localhost:1', appkey: 'BC-x', fetch });
  const sub = { endpoint: 'https://push.example/1', keys: { p256dh: 'p', auth: 'a' } };
  await assert.rejects(noApi.push.register(sub, { channels: ['a'] }), { code: 400, reason: 'invalid_request', content: /Herald\.init\(\{ host, appkey, api/ });
  const c = sdk.init({ host: 'localhost:1', api: 'localhost:2', appkey: 'BC-x', fetch });
  await assert.rejects(c.push.register(sub, { channels: ['bad channel'] }), { code: 400, reason: 'invalid_channel' });
  await assert.rejects(c.push.register(sub, { channels: [] }), { code: 400, reason: 'invalid_request' });
  await assert.rejects(c.push.register(sub, undefined as unknown as Sdk.PushRegisterOptions), { code: 400, reason: 'invalid_request' });
  await assert.rejects(c.push.register({ endpoint: 42 } as unknown as Sdk.PushSubscriptionData, { channels: ['a'] }), { code: 400, reason: 'invalid_request' });
  let failed: Sdk.ErrorShape | undefined;
  await assert.rejects(c.push.subscribe({ channels: ['a'], onFailed: (e) => (failed = e) }), { code: 400, reason: 'push_unsupported' });
  assert.equal(failed?.reason, 'push_unsupported', 'onFailed gets the same error');
  await assert.rejects(c.push.unsubscribe(), { reason: 'push_unsupported' });
  assert.deepEqual(requests, []);
});
