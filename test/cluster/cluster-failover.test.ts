import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisKeys } from '@herald/bus';
import { WsClient, call, createTenant, startRedisCluster, startStack, waitFor, type Frame, type Stack, type TestRedisCluster } from '@herald/testing';

// A master of a real 3-master/3-replica cluster is SIGKILLed under the whole service: its replica takes
// over (node timeout 2 s), the gateways re-subscribe their sharded fan-out on it and read each channel's
// history from the last offset they delivered, and the promoted master begins a new epoch on every
// channel it serves (it may lack writes its predecessor acknowledged: docs/architecture.md#durability).
let cluster: TestRedisCluster;
const stacks: Stack[] = [];
before(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2_000 });
});
after(async () => {
  for (const s of stacks) await s.stop();
  await cluster?.stop();
});

interface Outcome {
  channel: string;
  id: string;
  status: number;
  retryAfter: string | null;
  reason?: string;
  epoch?: string;
  offset?: number;
  sentAt: number;
}

/**
 * The channels' slots' masters, and a master to kill: one serving some channels but neither the app's
 * slot (its charge) nor the app's shard of the usage index (written by the charge once a minute).
 */
async function layout(keys: RedisKeys, appId: string, channels: string[], spareTheApp = true) {
  const appPorts = spareTheApp ? [await cluster.ownerPort(`{${appId}}`), await cluster.ownerPort(keys.usageIndex(appId))] : [];
  const owner = new Map<string, number>();
  const feedOwner = new Map<string, number>();
  for (const c of channels) {
    owner.set(c, await cluster.ownerPort(keys.channel(appId, c).meta));
    feedOwner.set(c, await cluster.ownerPort(keys.archive(appId, c)));
  }
  const victim = cluster.masterPorts.findIndex((p) => !appPorts.includes(p) && [...owner.values()].includes(p));
  assert.ok(victim >= 0, 'a master serving channels but not the app');
  const victimPort = cluster.masterPorts[victim];
  return {
    victim,
    victimPort,
    onVictim: channels.filter((c) => owner.get(c) === victimPort),
    // Channels whose every publish step (charge, accept, archive feed) lives on the other masters.
    elsewhere: channels.filter((c) => owner.get(c) !== victimPort && feedOwner.get(c) !== victimPort),
  };
}

test('WAIT 1: a master killed under 200 publishes/s — 503 with Retry-After meanwhile, never a lost 200; back within 20 s; other shards unaffected; subscribers get every acknowledged message once, in order, or a reset', async (t0) => {
  const stack = await startStack({
    gateways: 1,
    env: { REDIS_CLUSTER_NODES: cluster.nodes, HERALD_REDIS_WAIT_REPLICAS: '1', HERALD_REDIS_WAIT_TIMEOUT_MS: '500' },
  });
  stacks.push(stack);
  const keys = new RedisKeys(stack.prefix, true);
  const t = await createTenant(stack.apiUrl);
  const channels = Array.from({ length: 100 }, (_, i) => `load-${i}`);
  const { victim, victimPort, onVictim, elsewhere } = await layout(keys, t.appId, channels);
  assert.ok(onVictim.length > 0 && elsewhere.length > 0, `channels on the victim (${onVictim.length}) and elsewhere (${elsewhere.length})`);

  const clients = await Promise.all([0, 1, 2].map(() => WsClient.connect(stack.wsUrl(0), t.subscribeKey)));
  for (const ws of clients) {
    await Promise.all(channels.map(async (c) => assert.equal((await ws.subscribe(c)).type, 'subscribed', c)));
  }

  // ~200 publishes/s: every 50 ms, the next 10 channels in turn, each with its own id.
  const outcomes: Outcome[] = [];
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  const publishOne = (channel: string) => {
    const id = `m-${n++}`;
    const sentAt = Date.now();
    const p = call<{ epoch?: string; offset?: number; reason?: string }>(stack.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: { channel, message: { id }, id } })
      .then((r) => void outcomes.push({ channel, id, status: r.status, retryAfter: r.headers.get('retry-after'), reason: r.body?.reason, epoch: r.body?.epoch, offset: r.body?.offset, sentAt }))
      .catch((e: Error) => void outcomes.push({ channel, id, status: 0, retryAfter: null, reason: e.message, sentAt }))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  let next = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < 10; i++) publishOne(channels[next++ % channels.length]);
  }, 50);
  try {
    await waitFor(() => outcomes.filter((o) => o.status === 200).length >= 200, { timeoutMs: 10_000, what: '200 publishes before the kill' });
    const killedAt = Date.now();
    await cluster.killMaster(victim);
    // Its replica takes over; the dead node comes back (as a supervisor would restart it) only after
    // that, as the new master's replica — the one WAIT 1 then counts on.
    await waitFor(async () => (await cluster.ownerPort(keys.channel(t.appId, onVictim[0]).meta)) !== victimPort, { timeoutMs: 15_000, intervalMs: 200, what: 'replica promoted' });
    await cluster.restartNode(victim);
    await waitFor(() => outcomes.some((o) => o.status === 200 && onVictim.includes(o.channel) && o.sentAt > killedAt), { timeoutMs: 20_000, what: 'a publish on the failed-over shard succeeding again' });
    const backAt = Math.min(...outcomes.filter((o) => o.status === 200 && onVictim.includes(o.channel) && o.sentAt > killedAt).map((o) => o.sentAt));
    assert.ok(backAt - killedAt < 20_000, `publishes succeed again ${backAt - killedAt} ms after the kill`);
    t0.diagnostic(`publishes on the failed-over shard succeed again ${backAt - killedAt} ms after the kill`);
    // A little more load after the recovery, then stop and let every publish answer.
    const more = outcomes.length + 200;
    await waitFor(() => outcomes.length >= more, { timeoutMs: 10_000, what: 'load after the recovery' });
  } finally {
    clearInterval(timer);
    await Promise.all([...inFlight]);
  }

  // Every publish was answered 200, or 503 with Retry-After and a stable reason (stored or not, retry with the same id).
  for (const o of outcomes) {
    if (o.status === 200) continue;
    assert.equal(o.status, 503, `${o.channel} ${o.id}: ${o.status} ${o.reason}\n${stack.api.output().split('\n').filter((l) => l.includes('unhandled')).slice(0, 3).join('\n')}`);
    assert.ok(o.retryAfter && Number(o.retryAfter) > 0, `${o.id}: 503 without Retry-After`);
    assert.ok(o.reason === 'unavailable' || o.reason === 'not_replicated', `${o.id}: reason ${o.reason}`);
  }
  // The other shards kept serving: none of their publishes failed.
  const failedElsewhere = outcomes.filter((o) => o.status !== 200 && elsewhere.includes(o.channel));
  assert.deepEqual(failedElsewhere, [], 'publishes on channels of the other shards all succeeded during the failover');
  assert.ok(outcomes.some((o) => o.status !== 200 && onVictim.includes(o.channel)), 'the failed-over shard refused publishes meanwhile');

  // Every subscriber ends with every acknowledged message exactly once and in order per epoch, or a reset.
  const acked = outcomes.filter((o) => o.status === 200);
  for (const ws of clients) {
    // A reset (epoch, offset) excuses what it says is gone: earlier epochs, and its epoch up to its offset.
    const excused = (o: Outcome) => {
      const r = lastReset(ws, o.channel);
      return r !== undefined && (r.epoch !== o.epoch || o.offset! <= (r.offset as number));
    };
    const settled = (o: Outcome) => delivered(ws, o.channel).has(o.id) || excused(o);
    await waitFor(() => acked.every(settled), { timeoutMs: 20_000, what: 'acknowledged messages delivered or reset' }).catch((e: Error) => {
      const missing = acked.filter((o) => !settled(o));
      const seen = (c: string) => ws.frames.filter((f) => f.channel === c && (f.type === 'message' || f.type === 'reset')).map((f) => `${f.type === 'reset' ? 'R' : ''}${String(f.epoch).slice(0, 4)}:${String(f.offset)}`);
      const gatewayLog = stack.gateways[0].output().split('\n').filter((l) => /resync|gap|fill/.test(l)).slice(0, 5).join('\n');
      throw new Error(`${e.message}: ${missing.length} missing — gateway: ${gatewayLog} — ${missing.slice(0, 5).map((o) => `${o.channel}${onVictim.includes(o.channel) ? ' (killed shard)' : ''} ${o.id} ${o.epoch}:${o.offset} sent ${o.sentAt}; saw ${seen(o.channel).join(' ')}`).join(' | ')}`);
    });
    for (const c of channels) {
      const frames = ws.frames.filter((f) => f.channel === c && (f.type === 'message' || f.type === 'reset'));
      const ids = frames.filter((f) => f.type === 'message').map((f) => f.id as string);
      assert.equal(new Set(ids).size, ids.length, `${c}: a message delivered twice`);
      let epoch = '';
      let offset = 0;
      for (const f of frames) {
        if (f.type === 'reset') {
          [epoch, offset] = [f.epoch as string, f.offset as number];
          continue;
        }
        if (epoch !== '' && f.epoch === epoch) assert.ok((f.offset as number) > offset, `${c}: offset ${String(f.offset)} after ${offset}`);
        else assert.ok(epoch === '' || f.epoch === epoch, `${c}: a new epoch without a reset`);
        [epoch, offset] = [f.epoch as string, f.offset as number];
      }
      const reset = lastReset(ws, c);
      const mustHave = acked.filter((o) => o.channel === c && !excused(o));
      for (const o of mustHave) assert.ok(delivered(ws, c).has(o.id), `${c}: acknowledged ${o.id} (${o.epoch}:${o.offset}) never delivered`);
      if (elsewhere.includes(c)) assert.equal(reset, undefined, `${c}: a channel of another shard was reset`);
    }
  }
  const refused = outcomes.filter((o) => o.status !== 200);
  t0.diagnostic(`${outcomes.length} publishes: ${acked.length} acknowledged, ${refused.length} refused (${[...new Set(refused.map((o) => o.reason))].join(', ')}); ${onVictim.length} channels on the killed master, reset for ${channels.filter((c) => lastReset(clients[0], c)).length}`);
  for (const ws of clients) ws.close();
});

test('without WAIT: after a failover a channel written before the kill is in a new epoch; a live subscriber is told (reset) and a client resuming at the old epoch gets recovered:false', async () => {
  const stack = await startStack({ gateways: 1, env: { REDIS_CLUSTER_NODES: cluster.nodes } });
  stacks.push(stack);
  const keys = new RedisKeys(stack.prefix, true);
  const t = await createTenant(stack.apiUrl);
  const channels = Array.from({ length: 30 }, (_, i) => `ep-${i}`);
  // Any master serving a channel (the publish below is retried until the shard is back).
  const { victim, victimPort, onVictim } = await layout(keys, t.appId, channels, false);
  const channel = onVictim[0];
  const live = await WsClient.connect(stack.wsUrl(0), t.subscribeKey);
  await live.subscribe(channel);
  let before: { epoch: string; offset: number } | undefined;
  for (let i = 1; i <= 5; i++) {
    const r = await call<{ epoch: string; offset: number }>(stack.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: { channel, message: i } });
    assert.equal(r.status, 200);
    before = r.body;
  }
  await live.waitForMessages(5, channel);

  await cluster.killMaster(victim);
  await waitFor(async () => (await cluster.ownerPort(keys.channel(t.appId, channel).meta)) !== victimPort, { timeoutMs: 15_000, intervalMs: 200, what: 'replica promoted' });
  let afterKill: { epoch: string; offset: number } | undefined;
  await waitFor(
    async () => {
      const r = await call<{ epoch: string; offset: number }>(stack.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: { channel, message: 'after', id: 'after-1' } });
      if (r.status === 200) afterKill = r.body;
      else assert.equal(r.status, 503, `publish after the kill: ${r.status}`);
      return afterKill !== undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200, what: 'a publish on the promoted master' },
  );
  assert.notEqual(afterKill!.epoch, before!.epoch, 'the promoted master began a new epoch');
  assert.equal(afterKill!.offset, 1);

  // The live subscriber: a reset into the new epoch, then the new message.
  await live.waitForMessages(6, channel, 15_000);
  const tail = live.frames.filter((f) => f.channel === channel && (f.type === 'message' || f.type === 'reset')).slice(-2);
  assert.deepEqual(tail.map((f) => [f.type, f.epoch]), [['reset', afterKill!.epoch], ['message', afterKill!.epoch]]);

  // A client resuming at the old position is told it did not recover.
  const resumed = await WsClient.connect(stack.wsUrl(0), t.subscribeKey);
  const sub = await resumed.subscribe(channel, before!);
  assert.deepEqual([sub.type, sub.recovered, sub.epoch], ['subscribed', false, afterKill!.epoch]);
  live.close();
  resumed.close();
});

function delivered(ws: WsClient, channel: string): Set<string> {
  return new Set(ws.messages(channel).map((f) => f.id as string));
}

function lastReset(ws: WsClient, channel: string): Frame | undefined {
  return ws.frames.filter((f) => f.type === 'reset' && f.channel === channel).at(-1);
}
