import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { loadConfig } from '@herald/config';
import { RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { callOk, createTenant, restPublish, startRedisCluster, waitFor, type TestRedisCluster } from '@herald/testing';
import { mqttStack } from './mqtt-helpers.js';

// MQTT wildcard filters on a real 3-master/3-replica Redis Cluster (issue 16): the fan-out is sharded there,
// so an app with wildcard subscribers is marked and its accepts also go out on the app's classic channel
// (MqttWildcardMarks). Short connection leases: the mark's renewal runs within the test.
const LEASE_MS = 1_500;
let cluster: TestRedisCluster;
const m = mqttStack(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  return { gateways: 2, workers: 0, env: { REDIS_CLUSTER_NODES: cluster.nodes, HERALD_CONN_LEASE_MS: String(LEASE_MS) } };
});
const { tcpUrl, wsUrl, client } = m;
let redis: RedisClient | undefined;
after(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

/** A command connection to the cluster, with the stack's key naming. */
function clusterRedis(): { redis: RedisClient; keys: RedisKeys } {
  redis ??= createRedis(loadConfig({ REDIS_CLUSTER_NODES: cluster.nodes, HERALD_LOG_LEVEL: 'silent' }), 'command', 'wildcards-test');
  return { redis, keys: new RedisKeys(m.stack.prefix, true) };
}

/** `plant/<i>/temp` channels of the app, one per master (found by the master serving the channel's slot). */
async function channelPerMaster(keys: RedisKeys, appId: string): Promise<string[]> {
  const found = new Map<number, string>();
  for (let i = 0; found.size < cluster.masterPorts.length; i++) {
    const channel = `plant/${i}/temp`;
    const port = await cluster.ownerPort(keys.channel(appId, channel).meta);
    if (!found.has(port)) found.set(port, channel);
  }
  return [...found.values()];
}

type Got = Array<{ topic: string; payload: string; qos: number }>;
function collect(c: MqttClient): Got {
  const got: Got = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), qos: packet.qos }));
  return got;
}
const byTopic = (got: Got, topic: string) => got.filter((g) => g.topic === topic).map((g) => g.payload);

/** Connects and returns the CONNACK too (its properties say whether wildcards are available). */
function connectWithAck(url: string, opts: IClientOptions): Promise<{ c: MqttClient; wildcards: boolean | undefined }> {
  const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
  return new Promise((resolve, reject) => {
    c.once('connect', (ack) => resolve({ c, wildcards: ack.properties?.wildcardSubscriptionAvailable }));
    c.once('error', reject);
  });
}

test('on a cluster, + and # get REST, batch and MQTT publishes of channels on all three masters, once and in order per channel; never another app’s same topics; the mark is renewed, then dropped', async () => {
  const { redis, keys } = clusterRedis();
  const a = await createTenant(m.stack.apiUrl);
  const b = await createTenant(m.stack.apiUrl);
  const channels = await channelPerMaster(keys, a.appId);

  const wild = await connectWithAck(tcpUrl(0), { protocolVersion: 5, username: a.subscribeKey, clientId: 'wild' });
  assert.equal(wild.wildcards, true, 'CONNACK: wildcard subscriptions available on a cluster');
  const aGot = collect(wild.c);
  const granted = await wild.c.subscribeAsync({ 'plant/+/temp': { qos: 1 }, 'plant/#': { qos: 0 } });
  assert.deepEqual(granted.map((g) => g.qos), [1, 0]);
  // Another gateway, 3.1.1 over WebSocket, with the app secret.
  const all = await client(wsUrl(1), { protocolVersion: 4, username: a.commonKey, password: a.secret, clientId: 'all' });
  const allGot = collect(all);
  await all.subscribeAsync('#', { qos: 1 });
  // App B has a wildcard subscriber of its own on the same gateway: both apps are marked.
  const bWild = await client(tcpUrl(0), { protocolVersion: 5, username: b.subscribeKey, clientId: 'wild' });
  const bGot = collect(bWild);
  await bWild.subscribeAsync('plant/#', { qos: 1 });
  assert.equal(await redis.zcard(keys.mqttWildcardHolders(a.appId)), 2, "both gateways hold app A's mark");

  const publisher = await client(tcpUrl(1), { protocolVersion: 5, username: a.commonKey, clientId: 'pub' });
  const expected = new Map<string, string[]>();
  for (const [i, channel] of channels.entries()) {
    await restPublish(m.stack.apiUrl, b.secret, { channel, message: `B-${i}` });
    await restPublish(m.stack.apiUrl, a.secret, { channel, message: `rest-${i}-0` });
    await restPublish(m.stack.apiUrl, a.secret, { channel, message: `rest-${i}-1` });
    await publisher.publishAsync(channel, `mqtt-${i}`, { qos: 1 });
    expected.set(channel, [`rest-${i}-0`, `rest-${i}-1`, `mqtt-${i}`, `batch-${i}`]);
  }
  await callOk(m.stack.apiUrl, 'POST', '/v1/publish/batch', { token: a.secret, json: { items: channels.map((channel, i) => ({ channel, message: `batch-${i}` })) } });
  await waitFor(() => bGot.length === channels.length, { what: "app B's own messages" });
  // Every channel's own messages, on both gateways. No single fence can stand for them: the channels sit on
  // three masters, and what two masters broadcast reaches a subscriber's node in no common order. B's
  // message on a channel was published before A's on the same master, so it reached each node first: one
  // matching it to A would have been delivered by now.
  const arrived = (got: Got) => channels.every((channel) => byTopic(got, channel).length >= expected.get(channel)!.length);
  await waitFor(() => arrived(aGot) && arrived(allGot), { what: 'every channel on both gateways' });
  for (const channel of channels) {
    assert.deepEqual(byTopic(aGot, channel), expected.get(channel), `${channel}: once each, in order`);
    assert.deepEqual(byTopic(allGot, channel), expected.get(channel), `${channel} on the other gateway`);
  }
  assert.ok(aGot.every((g) => g.qos === 1) && allGot.every((g) => g.qos === 1), 'at the highest QoS of the matching filters');
  assert.deepEqual(bGot.map((g) => [g.topic, g.payload]).sort(), channels.map((c, i) => [c, `B-${i}`]).sort(), "app B's subscriber: app B's only");
  assert.ok(![...aGot, ...allGot].some((g) => g.payload.startsWith('B-')), "never app B's");

  // Past the first lease the holders renewed it: a publish still arrives.
  const firstExpiry = Math.max(...(await redis.zrange(keys.mqttWildcardHolders(a.appId), '0', '-1', 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number));
  await waitFor(() => Date.now() > firstExpiry + 100, { what: 'the first lease ran out', timeoutMs: 3 * LEASE_MS });
  assert.equal(await redis.zcount(keys.mqttWildcardHolders(a.appId), Date.now(), '+inf'), 2, 'renewed by both gateways');
  await restPublish(m.stack.apiUrl, a.secret, { channel: channels[0], message: 'renewed' });
  await waitFor(() => byTopic(aGot, channels[0]).includes('renewed') && byTopic(allGot, channels[0]).includes('renewed'), { what: 'a publish after the first lease' });

  // The last wildcard filter of the app on a gateway gone: that gateway's hold goes at once.
  await wild.c.unsubscribeAsync(['plant/+/temp', 'plant/#']);
  await waitFor(async () => (await redis.zcard(keys.mqttWildcardHolders(a.appId))) === 1, { what: "gateway 0 released app A's mark" });
  await all.endAsync();
  await waitFor(async () => (await redis.zcard(keys.mqttWildcardHolders(a.appId))) === 0, { what: "app A's mark gone" });
  await wild.c.endAsync();
});

test('on a cluster, a persistent session resumes its wildcard filters live on the other gateway', async () => {
  const a = await createTenant(m.stack.apiUrl);
  const opts: IClientOptions = { protocolVersion: 5, username: a.subscribeKey, clientId: 'thermostat', clean: false, properties: { sessionExpiryInterval: 600 }, resubscribe: false };
  const first = await client(tcpUrl(0), opts);
  await first.subscribeAsync('home/+/temp', { qos: 1 });
  await first.endAsync();
  const back = await connectWithAck(tcpUrl(1), opts);
  const got = collect(back.c);
  // The filter is live from the CONNACK on: the first publish after it arrives.
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'home/5/temp', message: 'live' });
  await waitFor(() => got.length > 0, { what: 'a live message through the resumed filter' });
  assert.deepEqual(byTopic(got, 'home/5/temp'), ['live']);
  await back.c.endAsync();
});
