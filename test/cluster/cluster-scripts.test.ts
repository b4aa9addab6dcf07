import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type HeraldConfig } from '@herald/config';
import { ChannelLog, ChannelRetention, FanoutSubscriber, MqttWildcardMarks, RedisKeys, WILDCARD_MARK_CACHE_MS, createRedis, type RedisClient } from '@herald/bus';
import { keySlot, startRedisCluster, uniquePrefix, waitFor, type TestRedisCluster } from '@herald/testing';
import { exerciseEveryScript, recordScriptCalls } from './script-exercise.js';

// The slot check's verdict against a real 3-master cluster, with apps and channels on every master:
// every script Herald runs is single-slot, and runs.
let cluster: TestRedisCluster;
let config: HeraldConfig;
let keys: RedisKeys;
let redis: RedisClient;
let recording: ReturnType<typeof recordScriptCalls>;
before(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  const prefix = uniquePrefix();
  config = loadConfig({ REDIS_CLUSTER_NODES: cluster.nodes, HERALD_REDIS_PREFIX: prefix, HERALD_LOG_LEVEL: 'silent' });
  keys = new RedisKeys(prefix, true);
  redis = createRedis(config, 'command', 'cluster-scripts');
  recording = recordScriptCalls();
});
after(async () => {
  recording?.restore();
  redis?.disconnect();
  await cluster?.stop();
});

/** One presence channel of `appId` per master, found by the master that serves its slot. */
async function channelPerMaster(appId: string): Promise<string[]> {
  const found = new Map<number, string>();
  for (let i = 0; found.size < cluster.masterPorts.length; i++) {
    const channel = `presence-room-${i}`;
    const port = await cluster.ownerPort(keys.channel(appId, channel).meta);
    if (!found.has(port)) found.set(port, channel);
  }
  return cluster.masterPorts.map((p) => found.get(p)!);
}

test('on every master, every script runs', async () => {
  const channels = await channelPerMaster('app1');
  for (const [i, channel] of channels.entries()) {
    assert.deepEqual(await exerciseEveryScript(redis, keys, config, 'app1', channel, channels[(i + 1) % channels.length]), [], `on ${channel}`);
  }
  for (const call of recording.calls) {
    assert.equal(new Set(call.keys.map(keySlot)).size, 1, `${call.name} on one slot`);
    assert.equal(call.error, undefined, `${call.name} ran`);
  }
  const ran = new Set(recording.calls.map((c) => c.name));
  for (const name of ['accept', 'charge', 'admit', 'admit-many', 'occupancy', 'presence-join', 'presence-leave', 'presence-sweep', 'presence-here-now', 'drain-legacy', 'recover']) assert.ok(ran.has(name), `${name} ran`);
});

test('resume positions and history reads on channels of all three masters', async () => {
  const log = new ChannelLog(redis, keys);
  const window = { historySize: 100, historyTtlMs: 60_000 };
  const channels = await channelPerMaster('app2');
  assert.equal(new Set(await Promise.all(channels.map((c) => cluster.ownerPort(keys.channel('app2', c).meta)))).size, 3);
  for (const channel of channels) {
    const first = await log.recover('app2', channel, undefined, window);
    assert.equal(first.top, 0);
    assert.ok(first.epoch);
    const again = await log.recover('app2', channel, { offset: 0, epoch: first.epoch }, window);
    assert.deepEqual(again, { epoch: first.epoch, top: 0, recovered: true, frames: [] });
    assert.equal((await log.recover('app2', channel, { offset: 0, epoch: 'other' }, window)).recovered, false);
    // A history read is one MULTI on the channel's slot.
    const page = await log.history('app2', channel, { limit: 10, minTime: 0 });
    assert.equal(page.epoch, first.epoch);
    assert.deepEqual(page.frames, []);
  }
});

test('retention finds the history streams of every master', async () => {
  const retention = new ChannelRetention(redis, keys);
  const channels = await channelPerMaster('app3');
  const log = new ChannelLog(redis, keys);
  for (const channel of channels) await log.accept('app3', channel, 'm1', '{"data":1', { historySize: 10, historyTtlMs: 60_000 }, 60_000, Date.now());
  const found: string[] = [];
  for await (const page of retention.historyChannels()) for (const c of page) if (c.appId === 'app3') found.push(c.channel);
  assert.deepEqual(found.sort(), [...channels].sort());
});

test('sharded fan-out: the accept SPUBLISHes on the channel\'s shard and a FanoutSubscriber (SSUBSCRIBE, one connection per master) hears the channels of every master; a classic subscriber hears nothing', async () => {
  const channels = await channelPerMaster('app4');
  const sub = createRedis(config, 'fanout', 'fanout-test');
  const classic = createRedis(config, 'subscriber', 'classic-test');
  const heard: string[] = [];
  const classicHeard: string[] = [];
  const fanout = new FanoutSubscriber(sub, keys, (appId, channel, frame) => heard.push(`${appId}|${channel}|${JSON.parse(frame).id}`), () => undefined);
  try {
    for (const c of channels) await fanout.add('app4', c);
    classic.on('pmessage', (_p: string, ch: string) => classicHeard.push(ch));
    await classic.psubscribe('*');
    const log = new ChannelLog(redis, keys);
    for (const c of channels) await log.accept('app4', c, `m-${c}`, `{"id":"m-${c}"`, { historySize: 10, historyTtlMs: 60_000 }, 60_000, Date.now());
    await waitFor(() => heard.length === channels.length, { what: 'a frame per channel' });
    assert.deepEqual(heard.sort(), channels.map((c) => `app4|${c}|m-${c}`).sort());
    assert.deepEqual(classicHeard, [], 'sharded messages are not broadcast to classic subscribers');
  } finally {
    fanout.close();
    sub.disconnect();
    classic.disconnect();
  }
});

test("MQTT wildcards: a marked app's accepts on every master also PUBLISH on its classic wildcard channel, heard on any node; an unmarked app's never", async () => {
  const window = { historySize: 10, historyTtlMs: 60_000 };
  const marked = await channelPerMaster('app5');
  const unmarked = await channelPerMaster('app6');
  const classic = createRedis(config, 'subscriber', 'wildcard-test');
  const heard: string[] = [];
  classic.on('message', (ch: string, text: string) => {
    const newline = text.indexOf('\n');
    heard.push(`${ch.slice(keys.mqttWildcardFanout('').length)}|${text.slice(0, newline)}|${JSON.parse(text.slice(newline + 1)).id}`);
  });
  try {
    await classic.subscribe(keys.mqttWildcardFanout('app5'), keys.mqttWildcardFanout('app6'));
    await new MqttWildcardMarks(redis, keys).hold(['app5'], 'gateway-1', 10_000);
    const log = new ChannelLog(redis, keys);
    // Per master the unmarked app's accept first: one node publishes both in order, so the marked one's
    // arrival shows the other's would have arrived before it.
    for (const [i, c] of marked.entries()) {
      await log.accept('app6', unmarked[i], `u-${i}`, `{"id":"u-${i}"`, window, 60_000, Date.now());
      await log.accept('app5', c, `m-${i}`, `{"id":"m-${i}"`, window, 60_000, Date.now());
    }
    await waitFor(() => heard.length >= marked.length, { what: 'a wildcard frame per master' });
    assert.deepEqual(heard.sort(), marked.map((c, i) => `app5|${c}|m-${i}`).sort(), "the marked app's frames, with their channels; none of the unmarked app");
  } finally {
    classic.disconnect();
  }
});

test('MQTT wildcards: an app without them costs one ZCOUNT per process and WILDCARD_MARK_CACHE_MS, whatever it publishes', async () => {
  const masters = cluster.masterPorts.map((port) => createRedis({ ...config, redisClusterNodes: undefined, redisUrl: `redis://127.0.0.1:${port}` }, 'command', 'stats'));
  const zcounts = async () => {
    let calls = 0;
    for (const m of masters) calls += Number(/cmdstat_zcount:calls=(\d+)/.exec(await m.info('commandstats'))?.[1] ?? 0);
    return calls;
  };
  try {
    const log = new ChannelLog(redis, keys);
    const before = await zcounts();
    const started = Date.now();
    for (let i = 0; i < 200; i++) await log.accept('app7', `c-${i % 7}`, `m-${i}`, '{"data":1', { historySize: 10, historyTtlMs: 60_000 }, 60_000, Date.now());
    const elapsed = Date.now() - started;
    const reads = (await zcounts()) - before;
    assert.ok(reads >= 1 && reads <= Math.floor(elapsed / WILDCARD_MARK_CACHE_MS) + 1, `${reads} mark reads for 200 accepts in ${elapsed} ms`);
  } finally {
    for (const m of masters) m.disconnect();
  }
});
