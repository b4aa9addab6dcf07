import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, restPublish, waitFor, WsClient } from '@herald/testing';
import { channelListed, inbox, mosquitto, mqttStack } from './mqtt-helpers.js';

// MQTT 3.1.1 and 5.0 (issue 17) against real gateways: the `mqtt` npm client over TCP and WebSocket, and
// Debian's mosquitto clients, on one channel log with Herald's WebSocket and REST.
const m = mqttStack();
const { tcpUrl, wsUrl, client } = m;

test('3.1.1 over TCP: REST publish → MQTT; MQTT QoS 0 and 1 → WebSocket; topics with / are channels', async () => {
  const t = await createTenant(m.stack.apiUrl);
  const sub = await client(tcpUrl(0), { protocolVersion: 4, username: t.subscribeKey, clientId: 'sub-1' });
  const got = inbox(sub);
  const granted = await sub.subscribeAsync({ 'devices/42/telemetry': { qos: 1 }, plain: { qos: 0 } });
  assert.deepEqual(granted.map((g) => g.qos), [1, 0]);
  await restPublish(m.stack.apiUrl, t.secret, { channel: 'devices/42/telemetry', message: 'from REST' });
  await restPublish(m.stack.apiUrl, t.secret, { channel: 'plain', message: { n: 1 } });
  await waitFor(() => (got.get('devices/42/telemetry')?.length ?? 0) === 1 && (got.get('plain')?.length ?? 0) === 1, { what: 'REST messages over MQTT' });
  assert.deepEqual(got.get('devices/42/telemetry'), ['from REST'], 'a string message is its bytes');
  assert.deepEqual(got.get('plain'), ['{"n":1}'], 'any other message is its JSON text');

  const ws = await WsClient.connect(m.stack.wsUrl(1), t.subscribeKey);
  await ws.subscribe('devices/42/telemetry');
  const pub = await client(tcpUrl(1), { protocolVersion: 4, username: t.commonKey, clientId: 'pub-1' });
  await pub.publishAsync('devices/42/telemetry', 'qos0 from a device', { qos: 0 });
  await pub.publishAsync('devices/42/telemetry', 'qos1 from a device', { qos: 1 }); // resolves on PUBACK
  const frames = await ws.waitForMessages(2, 'devices/42/telemetry');
  assert.deepEqual(frames.map((f) => f.content), ['qos0 from a device', 'qos1 from a device']);
  assert.deepEqual(frames.map((f) => f.offset), [2, 3], 'one channel log: offsets follow the REST publish');
  await waitFor(() => (got.get('devices/42/telemetry')?.length ?? 0) === 3, { what: 'the MQTT subscriber gets the device publishes too' });
  ws.close();
});

test('5.0 over WebSocket (/mqtt, subprotocol mqtt): subscribe, publish, unsubscribe; shared subscriptions refused', async () => {
  const t = await createTenant(m.stack.apiUrl);
  const c = await client(wsUrl(0), { protocolVersion: 5, username: t.commonKey, clientId: 'ws-5' });
  const got = inbox(c);
  const [g] = await c.subscribeAsync('rooms/a', { qos: 1 });
  assert.equal(g.qos, 1);
  await c.publishAsync('rooms/a', 'hello', { qos: 1 });
  await waitFor(() => got.get('rooms/a')?.length === 1, { what: 'own publish delivered (MQTT has no no-local by default)' });
  await c.unsubscribeAsync('rooms/a');
  await restPublish(m.stack.apiUrl, t.secret, { channel: 'rooms/a', message: 'after' });
  await c.publishAsync('rooms/b', 'fence', { qos: 1 });
  assert.deepEqual(got.get('rooms/a'), ['hello'], 'nothing after UNSUBSCRIBE');
  const refused = await c.subscribeAsync('$share/g/rooms/a', { qos: 0 }).then(
    () => assert.fail('shared subscriptions are refused'),
    (e: { packet?: { granted: number[] } }) => e.packet?.granted,
  );
  assert.deepEqual(refused, [0x9e], 'shared subscriptions: their 5.0 reason code');
});

test("Debian's mosquitto_sub and mosquitto_pub (a second, independent client): REST → mosquitto_sub, mosquitto_pub → WebSocket; a bad key is refused", async () => {
  const t = await createTenant(m.stack.apiUrl);
  const port = String(m.stack.gateways[0].listening('mqtt'));
  // -C 2: exit after two messages; -v: "topic payload" lines; -V mqttv311 and mqttv5 both.
  const sub = mosquitto('mosquitto_sub', ['-h', '127.0.0.1', '-p', port, '-u', t.subscribeKey, '-i', 'mosq-sub', '-t', 'plant/line-1', '-q', '1', '-C', '2', '-v', '-V', 'mqttv5']);
  await waitFor(() => channelListed(m.stack.apiUrl, t, 'plant/line-1'), { what: 'mosquitto_sub subscribed' });
  await restPublish(m.stack.apiUrl, t.secret, { channel: 'plant/line-1', message: 'from REST' });
  const ws = await WsClient.connect(m.stack.wsUrl(1), t.subscribeKey);
  await ws.subscribe('plant/line-1');
  await mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-u', t.commonKey, '-i', 'mosq-pub', '-t', 'plant/line-1', '-m', 'from mosquitto_pub', '-q', '1', '-V', 'mqttv311']);
  assert.equal(await sub, 'plant/line-1 from REST\nplant/line-1 from mosquitto_pub\n');
  assert.deepEqual((await ws.waitForMessages(1, 'plant/line-1')).map((f) => f.content), ['from mosquitto_pub']);
  await assert.rejects(mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-u', 'BC-nosuchkeynosuchkeynosuch', '-t', 'x', '-m', 'x', '-q', '1']), /mosquitto_pub/);
  ws.close();
});
