import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, restPublish, waitFor, WsClient } from '@herald/testing';
import { inbox, mqttStack } from './mqtt-helpers.js';

// MQTT Last Will and retained messages (issue 17), seen by MQTT and Herald WebSocket clients.
const m = mqttStack();
const { tcpUrl, client, refusal } = m;

test('Last Will: published when a device vanishes, not after DISCONNECT; a will that could never be published refuses the CONNECT', async () => {
  const t = await createTenant(m.stack.apiUrl);
  const watcher = await client(tcpUrl(1), { protocolVersion: 5, username: t.subscribeKey, clientId: 'watcher' });
  const seen = inbox(watcher);
  await watcher.subscribeAsync('devices/7/status', { qos: 1 });
  const will = { topic: 'devices/7/status', payload: Buffer.from('offline'), qos: 1 as const, retain: false };
  const polite = await client(tcpUrl(0), { protocolVersion: 4, username: t.commonKey, clientId: 'polite', will });
  await polite.endAsync(); // DISCONNECT: no will
  const vanishing = await client(tcpUrl(0), { protocolVersion: 4, username: t.commonKey, clientId: 'vanishing', will });
  vanishing.stream.destroy(); // the network goes away: no DISCONNECT
  await waitFor(() => seen.get('devices/7/status')?.length === 1, { what: 'the will' });
  await restPublish(m.stack.apiUrl, t.secret, { channel: 'devices/7/status', message: 'fence' });
  await waitFor(() => seen.get('devices/7/status')?.length === 2, { what: 'the fence' });
  assert.deepEqual(seen.get('devices/7/status'), ['offline', 'fence'], 'one will: the polite client left none');
  // A subscribe key cannot publish, so neither can its will; a bad will topic is refused too.
  assert.equal((await refusal(tcpUrl(), { protocolVersion: 5, username: t.subscribeKey, clientId: 'w1', will })).code, 0x87);
  assert.equal((await refusal(tcpUrl(), { protocolVersion: 5, username: t.commonKey, clientId: 'w2', will: { ...will, topic: 'bad topic' } })).code, 0x90);
});

test('devices that vanish the moment their CONNACK arrives (while the gateway still sets the session up): every will is published once', async () => {
  const t = await createTenant(m.stack.apiUrl);
  const watcher = await client(tcpUrl(1), { protocolVersion: 5, username: t.subscribeKey, clientId: 'watcher' });
  const seen = inbox(watcher);
  await watcher.subscribeAsync('fleet/+/status', { qos: 1 });
  // Persistent sessions: after its CONNACK the gateway still claims the session and takes it over, so a
  // close arriving then found no connection — its will was lost (and its session never closed).
  const n = 20;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const topic = `fleet/${i}/status`;
      const c = await client(tcpUrl(0), { protocolVersion: 4, username: t.commonKey, clientId: `fleet-${i}`, clean: false, will: { topic, payload: Buffer.from('offline'), qos: 1, retain: false } });
      c.stream.destroy();
    }),
  );
  await waitFor(() => [...seen.values()].reduce((k, v) => k + v.length, 0) >= n, { what: `${n} wills` });
  for (let i = 0; i < n; i++) assert.deepEqual(seen.get(`fleet/${i}/status`), ['offline'], `device ${i}`);
});

test('retained messages: the last retained PUBLISH goes to each new MQTT subscriber (flagged), an empty one clears it; it is also an ordinary message in the channel log', async () => {
  const t = await createTenant(m.stack.apiUrl);
  const ws = await WsClient.connect(m.stack.wsUrl(0), t.subscribeKey);
  await ws.subscribe('state/door');
  const pub = await client(tcpUrl(0), { protocolVersion: 4, username: t.commonKey, clientId: 'door' });
  await pub.publishAsync('state/door', 'closed', { qos: 1, retain: true });
  await pub.publishAsync('state/door', 'open', { qos: 1, retain: true });
  const late = await client(tcpUrl(1), { protocolVersion: 5, username: t.subscribeKey, clientId: 'late' });
  const got: Array<{ payload: string; retain: boolean }> = [];
  late.on('message', (_t, payload, packet) => got.push({ payload: payload.toString(), retain: packet.retain }));
  await late.subscribeAsync('state/door', { qos: 1 });
  await waitFor(() => got.length === 1, { what: 'the retained message' });
  await pub.publishAsync('state/door', 'ajar', { qos: 1 });
  await waitFor(() => got.length === 2, { what: 'a live message' });
  assert.deepEqual(got, [{ payload: 'open', retain: true }, { payload: 'ajar', retain: false }], 'only the last retained one, flagged; live ones are not');
  await pub.publishAsync('state/door', '', { qos: 1, retain: true }); // clears it
  const later = await client(tcpUrl(0), { protocolVersion: 4, username: t.subscribeKey, clientId: 'later' });
  const seen = inbox(later);
  await later.subscribeAsync('state/door', { qos: 1 });
  await restPublish(m.stack.apiUrl, t.secret, { channel: 'state/door', message: 'fence' });
  await waitFor(() => seen.get('state/door')?.length === 1, { what: 'the fence' });
  assert.deepEqual(seen.get('state/door'), ['fence'], 'nothing retained after the empty retained publish');
  assert.deepEqual((await ws.waitForMessages(5, 'state/door')).map((f) => f.content), ['closed', 'open', 'ajar', '', 'fence'], 'every publish is in the channel log');
  ws.close();
});
