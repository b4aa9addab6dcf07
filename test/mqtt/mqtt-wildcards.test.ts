import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IClientOptions } from 'mqtt';
import { createTenant, restPublish, waitFor } from '@herald/testing';
import { mosquitto, mqttStack } from './mqtt-helpers.js';

// MQTT wildcard subscriptions `+` and `#` (issue 17): within one app, live, at the highest QoS matched,
// with retained messages on subscribe; the plan's channels per connection counts each filter.
const m = mqttStack();
const { tcpUrl, wsUrl, client, session } = m;

test('+ and #: REST publishes on several channels reach matching filters once, at the highest QoS granted; never another app’s channels; a private channel only with the secret', async () => {
  const a = await createTenant(m.stack.apiUrl);
  const b = await createTenant(m.stack.apiUrl);
  const c = await client(tcpUrl(0), { protocolVersion: 5, username: a.subscribeKey, clientId: 'wild' });
  const got: Array<{ topic: string; payload: string; qos: number }> = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), qos: packet.qos }));
  const granted = await c.subscribeAsync({ 'devices/+/telemetry': { qos: 1 }, 'devices/#': { qos: 0 }, 'rooms/a': { qos: 0 }, 'rooms/#': { qos: 0 } });
  assert.deepEqual(granted.map((g) => g.qos), [1, 0, 0, 0]);
  // App B publishes on the very same channel names: none of it may reach app A's filters.
  await restPublish(m.stack.apiUrl, b.secret, { channel: 'devices/1/telemetry', message: 'B only' });
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'devices/1/telemetry', message: 't1' });
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'devices/2/status', message: 's2' });
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'devices', message: 'root' }); // devices/# matches its parent level
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'elsewhere/x', message: 'no filter' });
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'private-devices/1', message: 'private' });
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'rooms/a', message: 'named and matched' });
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'devices/fence', message: 'fence' });
  // Each matched channel waited for on its own: on a Redis Cluster (npm test -- --redis-cluster) channels sit
  // on different masters, whose frames reach a gateway in no common order, so no one channel is a fence for
  // the others. The refused ones were published before the last of these; on one Redis the fence proves them.
  const byTopic = (topic: string) => got.filter((g) => g.topic === topic).map((g) => [g.payload, g.qos]);
  const expected: Array<[string, string]> = [['devices/1/telemetry', 't1'], ['devices/2/status', 's2'], ['devices', 'root'], ['rooms/a', 'named and matched'], ['devices/fence', 'fence']];
  await waitFor(() => expected.every(([topic, payload]) => byTopic(topic).some(([p]) => p === payload)), { what: 'every matched channel' });
  assert.deepEqual(byTopic('devices/1/telemetry'), [['t1', 1]], 'once, at the highest QoS of the two matching filters; nothing of app B');
  assert.deepEqual(byTopic('devices/2/status'), [['s2', 0]]);
  assert.deepEqual(byTopic('devices'), [['root', 0]]);
  assert.deepEqual(byTopic('rooms/a'), [['named and matched', 0]], 'a channel subscribed by name and matched by a filter arrives once');
  assert.ok(!got.some((g) => g.payload === 'no filter' || g.payload === 'B only' || g.payload === 'private'), JSON.stringify(got));

  // The app secret reads private channels: its filters match them too. Over WebSocket, 3.1.1.
  const admin = await client(wsUrl(1), { protocolVersion: 4, username: a.commonKey, password: a.secret, clientId: 'admin' });
  const adminGot: string[] = [];
  admin.on('message', (_t, payload) => adminGot.push(payload.toString()));
  await admin.subscribeAsync('#', { qos: 1 });
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'private-devices/1', message: 'private 2' });
  await restPublish(m.stack.apiUrl, b.secret, { channel: 'private-devices/1', message: 'B private' });
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'z', message: 'fence 2' });
  await waitFor(() => adminGot.includes('fence 2') && adminGot.includes('private 2'), { what: "the app's private and public channel" });
  assert.deepEqual([...adminGot].sort(), ['fence 2', 'private 2'], "app B's private channel never");

  // Unsubscribing a filter stops it; UNSUBACK says which existed.
  await c.unsubscribeAsync(['devices/+/telemetry', 'devices/#', 'rooms/#', 'never/+']);
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'devices/1/telemetry', message: 'after' });
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'rooms/a', message: 'fence 3' });
  await waitFor(() => got.some((g) => g.payload === 'fence 3'), { what: 'the third fence' });
  assert.ok(!got.some((g) => g.payload === 'after'));
});

test('wildcard filters: invalid ones refused (0x8F); each counts as one of the plan’s channels per connection (0x97 beyond)', async () => {
  const t = await createTenant(m.stack.apiUrl, { planId: 'free' }); // 100 channels per connection
  const c = await client(tcpUrl(1), { protocolVersion: 5, username: t.subscribeKey, clientId: 'capped' });
  const named = Object.fromEntries(Array.from({ length: 99 }, (_, i) => [`c${i}`, { qos: 0 as const }]));
  const granted = await c.subscribeAsync({ ...named, 'f/+': { qos: 0 }, 'g/#': { qos: 1 } }).then(
    () => assert.fail('the 101st channel is refused'),
    (e: { packet?: { granted: number[] } }) => e.packet?.granted ?? [],
  );
  assert.equal(granted.length, 101);
  assert.deepEqual(granted.slice(99), [0, 0x97], 'the 100th channel is a filter; the 101st, beyond the plan, is refused');
  // Re-subscribing a held filter is no new channel; a filter the codec lets through but Herald cannot match is refused.
  assert.deepEqual((await c.subscribeAsync('f/+', { qos: 1 })).map((g) => g.qos), [1]);
  const bad = await c.subscribeAsync('f/bad topic/+', { qos: 0 }).then(
    () => assert.fail('refused'),
    (e: { packet?: { granted: number[] } }) => e.packet?.granted,
  );
  assert.deepEqual(bad, [0x8f], 'topic filter invalid');
});

test('retained messages for wildcard filters on subscribe (flagged, this app only); Retain Handling 2 sends none; a persistent session keeps its filters and resumes them live', async () => {
  const a = await createTenant(m.stack.apiUrl);
  const b = await createTenant(m.stack.apiUrl);
  const pubA = await client(tcpUrl(0), { protocolVersion: 4, username: a.commonKey, clientId: 'pub' });
  const pubB = await client(tcpUrl(0), { protocolVersion: 4, username: b.commonKey, clientId: 'pub' });
  await pubA.publishAsync('home/1/temp', '21', { qos: 1, retain: true });
  await pubA.publishAsync('home/2/temp', '22', { qos: 1, retain: true });
  await pubA.publishAsync('home/2/humidity', '50', { qos: 1, retain: true });
  await pubA.publishAsync('home/3/temp', 'x', { qos: 1, retain: true });
  await pubA.publishAsync('home/3/temp', '', { qos: 1, retain: true }); // cleared
  await pubB.publishAsync('home/9/temp', 'B', { qos: 1, retain: true });

  const opts: IClientOptions = { protocolVersion: 5, username: a.subscribeKey, clientId: 'thermostat', clean: false, properties: { sessionExpiryInterval: 600 } };
  const first = await session(tcpUrl(1), opts);
  const retained: Array<[string, string, boolean]> = [];
  first.c.on('message', (topic, payload, packet) => retained.push([topic, payload.toString(), packet.retain]));
  await first.c.subscribeAsync('home/+/temp', { qos: 1 });
  await waitFor(() => retained.length >= 2, { what: 'the retained messages' });
  await first.c.subscribeAsync('home/#', { qos: 0, rh: 2 });
  await pubA.publishAsync('home/fence', 'fence', { qos: 1 });
  await waitFor(() => retained.some(([, p]) => p === 'fence'), { what: 'the fence' });
  assert.deepEqual(
    retained.filter(([, , r]) => r).sort(),
    [
      ['home/1/temp', '21', true],
      ['home/2/temp', '22', true],
    ],
    'the matching retained messages of this app, flagged; none for the Retain Handling 2 filter',
  );
  await first.c.endAsync();

  const back = await session(tcpUrl(0), opts);
  assert.equal(back.present, true);
  await pubA.publishAsync('home/5/temp', 'live', { qos: 1 });
  await waitFor(() => back.got.includes('live'), { what: 'a live message through the resumed filter' });
  assert.deepEqual(back.got, ['live'], 'no resubscribe needed; retained messages are for SUBSCRIBE only');
});

test("Debian's mosquitto_sub with # and +: the retained message on subscribe, then live messages of this app only", async () => {
  const a = await createTenant(m.stack.apiUrl);
  const b = await createTenant(m.stack.apiUrl);
  const pub = await client(tcpUrl(0), { protocolVersion: 5, username: a.commonKey, clientId: 'plant' });
  const pubB = await client(tcpUrl(0), { protocolVersion: 5, username: b.commonKey, clientId: 'plant' });
  await pub.publishAsync('plant/1/temp', '20', { qos: 1, retain: true });
  await pubB.publishAsync('plant/0/temp', 'B', { qos: 1, retain: true });
  const port = String(m.stack.gateways[1].listening('mqtt'));
  const base = ['-h', '127.0.0.1', '-p', port, '-u', a.subscribeKey, '-q', '1', '-v', '-C', '1'];
  assert.equal(await mosquitto('mosquitto_sub', [...base, '-i', 'mosq-hash', '-t', 'plant/#', '-V', 'mqttv5']), 'plant/1/temp 20\n', "the app's retained message for #");

  // -R skips retained messages: the first live one ends it. When it has subscribed is not observable
  // from here, so app B then app A publish until it got one; app B's must never be the one.
  const sub = mosquitto('mosquitto_sub', [...base, '-i', 'mosq-plus', '-t', 'plant/+/temp', '-R', '-V', 'mqttv311']);
  let done = false;
  void sub.then(() => (done = true), () => (done = true));
  await waitFor(
    async () => {
      if (done) return true;
      await restPublish(m.stack.apiUrl, b.secret, { channel: 'plant/2/temp', message: 'B live' });
      await restPublish(m.stack.apiUrl, a.secret, { channel: 'plant/2/temp', message: 'live' });
      return done;
    },
    { what: 'mosquitto_sub got a live message' },
  );
  assert.equal(await sub, 'plant/2/temp live\n');
});
