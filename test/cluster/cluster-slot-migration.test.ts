import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { RedisKeys } from '@herald/bus';
import { WsClient, call, createTenant, keySlot, startRedisCluster, startStack, waitFor, type Frame, type Stack, type TestRedisCluster } from '@herald/testing';

// One channel's slot is moved from its master to another with the real commands (IMPORTING/MIGRATING,
// MIGRATE, SETSLOT NODE) while every channel is published to without pause. The gateway must follow the
// channel to its new master: re-subscribe its sharded fan-out there (the old master drops the
// subscription when it gives the slot away) and read from history what it missed meanwhile.
let cluster: TestRedisCluster;
let stack: Stack;
/** The test's clients, closed however it ends (an open EventSource would keep the file running). */
const clients: Array<{ close(): void }> = [];
before(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  stack = await startStack({ gateways: 1, env: { REDIS_CLUSTER_NODES: cluster.nodes } });
});
after(async () => {
  for (const c of clients) c.close();
  await stack?.stop();
  await cluster?.stop();
});

/** Between two publishes of one channel, and before a refused publish is tried again with its id. */
const PUBLISH_GAP_MS = 20;
const RETRY_MS = 100;

interface Outcome {
  seq: number;
  status: number;
  retryAfter: string | null;
  reason?: string;
  epoch?: string;
  offset?: number;
  sentAt: number;
  ms: number;
}

/** One publisher per channel, one message at a time (ids `<channel>.<seq>`), each retried with its id until 200. */
class SteadyPublisher {
  readonly outcomes: Outcome[] = [];
  readonly acked: string[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(apiUrl: string, secret: string, readonly channel: string) {
    this.done = (async () => {
      for (let seq = 1; !this.stopped; seq++) {
        for (;;) {
          const sentAt = Date.now();
          const r = await call<{ epoch?: string; offset?: number; reason?: string }>(apiUrl, 'POST', '/v1/publish', { token: secret, json: { channel, id: `${channel}.${seq}`, message: { seq } } });
          this.outcomes.push({ seq, status: r.status, retryAfter: r.headers.get('retry-after'), reason: r.body?.reason, epoch: r.body?.epoch, offset: r.body?.offset, sentAt, ms: Date.now() - sentAt });
          if (r.status === 200) break;
          if (r.status !== 503) return; // the assertions report it
          await sleep(RETRY_MS);
        }
        this.acked.push(`${channel}.${seq}`);
        await sleep(PUBLISH_GAP_MS);
      }
    })();
  }

  /** The refusals, for a failure's message. */
  refusals(): string {
    return this.outcomes.filter((o) => o.status !== 200).map((o) => `#${o.seq} ${o.status} ${o.reason}`).join(', ');
  }

  ackedSince(t: number): Outcome[] {
    return this.outcomes.filter((o) => o.status === 200 && o.sentAt >= t);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** An EventSource on every channel, its frames recorded as the WebSocket's (named events carry their type). */
function sseSubscriber(url: string, appkey: string, channels: string[]): { frames: Frame[]; close(): void } {
  const frames: Frame[] = [];
  const es = new EventSource(`${url}/sse?appkey=${appkey}${channels.map((c) => `&channel=${encodeURIComponent(c)}`).join('')}`);
  const record = (type: string) => (e: MessageEvent<string>) => frames.push({ ...(JSON.parse(e.data) as Frame), type });
  es.addEventListener('message', record('message'));
  for (const type of ['subscribed', 'reset', 'herald-error', 'disconnect']) es.addEventListener(type, record(type));
  return { frames, close: () => es.close() };
}

/** Every acknowledged message exactly once and in publish order; a new epoch only after a reset into it. */
function assertDelivered(who: string, frames: Frame[], channel: string, acked: string[], mayReset: boolean): void {
  const mine = frames.filter((f) => f.channel === channel && (f.type === 'message' || f.type === 'reset'));
  assert.deepEqual(mine.filter((f) => f.type === 'message').map((f) => f.id), acked, `${who} ${channel}: the acknowledged messages, once each, in order`);
  let epoch = '';
  for (const f of mine) {
    if (f.type === 'message' && epoch !== '') assert.equal(f.epoch, epoch, `${who} ${channel}: message ${String(f.id)} in a new epoch without a reset`);
    epoch = f.epoch as string;
  }
  if (!mayReset) assert.deepEqual(mine.filter((f) => f.type === 'reset'), [], `${who} ${channel}: reset`);
}

test('a slot moved under steady publishes: 503 + Retry-After while it moves, then the gateway follows it to its new master — nothing missed, nothing twice; other channels untouched', async (t0) => {
  const keys = new RedisKeys(stack.prefix, true);
  const t = await createTenant(stack.apiUrl);
  const owner = (c: string) => cluster.ownerPort(keys.channel(t.appId, c).meta);
  // The moved channel, a channel of another slot on the same master, and one on another master.
  const moved = 'feed-0';
  const from = await owner(moved);
  const others = new Map<boolean, string>();
  for (let i = 1; others.size < 2; i++) {
    const c = `feed-${i}`;
    const onSource = (await owner(c)) === from;
    if (!others.has(onSource)) others.set(onSource, c);
  }
  const [sameMaster, otherMaster] = [others.get(true)!, others.get(false)!];
  const to = cluster.masterPorts.find((p) => p !== from)!;
  const slot = keySlot(keys.channel(t.appId, moved).meta);
  // Only the channel's own keys move: not the app's charge, nor the archive feed or usage shards.
  const appSlots = [`{${t.appId}}`, keys.usageIndex(t.appId), keys.archive(t.appId, moved), keys.channel(t.appId, sameMaster).meta, keys.channel(t.appId, otherMaster).meta].map(keySlot);
  assert.ok(!appSlots.includes(slot), 'the moved slot holds only the moved channel');
  const channels = [moved, sameMaster, otherMaster];

  const ws = await Promise.all([0, 1].map(() => WsClient.connect(stack.wsUrl(0), t.subscribeKey)));
  for (const w of ws) for (const c of channels) assert.equal((await w.subscribe(c)).type, 'subscribed', c);
  const sse = sseSubscriber(stack.gateways[0].url, t.subscribeKey, channels);
  clients.push(...ws, sse);
  await waitFor(() => sse.frames.filter((f) => f.type === 'subscribed').length === channels.length, { what: 'SSE subscribed' });
  const subscribers = [...ws.map((w, i) => ({ who: `ws${i}`, frames: w.frames })), { who: 'sse', frames: sse.frames }];

  const publishers = new Map(channels.map((c) => [c, new SteadyPublisher(stack.apiUrl, t.secret, c)]));
  const pub = (c: string) => publishers.get(c)!;
  let movedAt = 0;
  try {
    await waitFor(() => channels.every((c) => pub(c).acked.length >= 20), { what: '20 publishes per channel before the move' }).catch((e: Error) => {
      throw new Error(`${e.message}: ${channels.map((c) => `${c} ${pub(c).acked.length} acknowledged, refused ${pub(c).refusals()}`).join('; ')}`);
    });
    const lastBefore = pub(moved).ackedSince(0).at(-1)!;
    // The slot stays open (the source MIGRATING, the target IMPORTING), its keys on the source and then
    // on the target, each time until a publish of it was refused (TRYAGAIN; ASK then TRYAGAIN).
    const refusals = () => pub(moved).outcomes.filter((o) => o.status !== 200).length;
    await cluster.migrateSlot(slot, to, {
      whileMigrating: async (keysOn) => {
        const before = refusals();
        await waitFor(() => refusals() > before, { timeoutMs: 15_000, what: `a publish refused while the slot moves, its keys on the ${keysOn}` });
      },
    });
    movedAt = Date.now();
    assert.equal(await owner(moved), to, 'CLUSTER SLOTS: the slot is on the target');
    // Publishes accepted on the new master reach every subscriber live, without any other event to help.
    await waitFor(() => pub(moved).ackedSince(movedAt).length >= 20, { timeoutMs: 15_000, what: '20 publishes on the new master' });
    const after = pub(moved).ackedSince(movedAt).map((o) => `${moved}.${o.seq}`);
    await waitFor(() => subscribers.every((s) => after.every((id) => s.frames.some((f) => f.type === 'message' && f.id === id))), {
      timeoutMs: 10_000,
      what: 'the publishes on the new master delivered to every subscriber',
    });
    // A client resuming from before the move: recovered exactly when the channel kept its epoch.
    const resumed = await WsClient.connect(stack.wsUrl(0), t.subscribeKey);
    clients.push(resumed);
    const answer = await resumed.subscribe(moved, { epoch: lastBefore.epoch!, offset: lastBefore.offset! });
    assert.equal(answer.recovered, answer.epoch === lastBefore.epoch, `resumed at ${lastBefore.epoch}:${lastBefore.offset}, answered ${JSON.stringify(answer)}`);
    t0.diagnostic(`epoch of ${moved}: ${lastBefore.epoch} before the move, ${String(answer.epoch)} after; a client resuming from before it recovered: ${String(answer.recovered)}`);
  } finally {
    await Promise.all([...publishers.values()].map((p) => p.stop()));
  }

  // The gateway's subscription is on the target now, and no longer on the source.
  const fanout = keys.channel(t.appId, moved).fanout;
  assert.deepEqual(await cluster.nodeCommand(to, 'PUBSUB', 'SHARDNUMSUB', fanout), [fanout, 1], 'subscribed on the target');
  assert.deepEqual(await cluster.nodeCommand(from, 'PUBSUB', 'SHARDNUMSUB', fanout), [fanout, 0], 'not on the source');

  // Refusals only on the moved channel, only 503 with Retry-After (the retry with the same id stores it once).
  for (const c of channels) {
    for (const o of pub(c).outcomes.filter((x) => x.status !== 200)) {
      assert.equal(c, moved, `${c}#${o.seq} refused (${o.status} ${o.reason}) though its slot did not move`);
      assert.equal(o.status, 503, `${c}#${o.seq}: ${o.status} ${o.reason}`);
      assert.ok(Number(o.retryAfter) > 0, `${c}#${o.seq}: 503 without Retry-After`);
      assert.equal(o.reason, 'unavailable');
    }
  }
  for (const s of subscribers) {
    await waitFor(() => channels.every((c) => s.frames.filter((f) => f.type === 'message' && f.channel === c).length >= pub(c).acked.length), {
      what: `${s.who}: every acknowledged message`,
    });
    for (const c of channels) assertDelivered(s.who, s.frames, c, pub(c).acked, c === moved);
  }
  const refused = pub(moved).outcomes.filter((o) => o.status !== 200).length;
  const slowest = (c: string) => Math.max(...pub(c).outcomes.map((o) => o.ms));
  t0.diagnostic(`${channels.map((c) => `${c}: ${pub(c).acked.length} acknowledged, slowest answer ${slowest(c)} ms`).join(', ')}; ${refused} refusals of ${moved} while its slot moved`);
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
