import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callOk, createTenant, waitFor, WsClient } from '@herald/testing';
import { mqttStack } from './mqtt-helpers.js';

// Presence for MQTT clients (issue 17): an access token naming a user makes the MQTT connection that
// user; it joins the presence of every channel it subscribes to, like a WebSocket client with presence.
const m = mqttStack();
const { tcpUrl, wsUrl, client } = m;

const events = (c: WsClient) => c.frames.filter((f) => f.type === 'presence').map((f) => `${f.action}:${(f.member as { id: string }).id}:${f.amount}`);

test('an MQTT client whose access token carries a user id joins each subscribed channel’s presence; WebSocket watchers see join and leave; a client without one joins nothing', async () => {
  const t = await createTenant(m.stack.apiUrl);
  const { token } = await callOk<{ token: string }>(m.stack.apiUrl, 'POST', '/v1/tokens', { token: t.secret, json: { channel: 'private-room', r: true, id: 'sensor-7' } });
  const watcher = await WsClient.connect(m.stack.wsUrl(1), t.subscribeKey);
  await watcher.request({ type: 'presence_subscribe', channel: 'room' });

  // Without a user id: subscribing joins nothing (the next event is the user's own join).
  const anon = await client(tcpUrl(1), { protocolVersion: 4, username: t.subscribeKey, clientId: 'anon' });
  await anon.subscribeAsync('room', { qos: 0 });

  const dev = await client(tcpUrl(0), { protocolVersion: 5, username: t.subscribeKey, password: token, clientId: 'sensor' });
  const granted = await dev.subscribeAsync({ room: { qos: 0 }, 'private-room': { qos: 1 } });
  assert.deepEqual(granted.map((g) => g.qos), [0, 1], 'the token (for its user) opens its private channel');
  await waitFor(() => events(watcher).length === 1, { what: 'the join' });
  const now = await watcher.request({ type: 'herenow', channel: 'room' });
  assert.deepEqual((now.result as { members: Array<{ id: string }> }).members.map((x) => x.id), ['sensor-7']);
  const secretView = await fetch(`${m.stack.apiUrl}/v2/pubsub/herenow?appkey=${t.commonKey}&channel=room`).then((r) => r.json() as Promise<{ content: { amount: number } }>);
  assert.equal(secretView.content.amount, 1);

  await dev.unsubscribeAsync('room'); // UNSUBSCRIBE leaves
  await waitFor(() => events(watcher).length === 2, { what: 'the leave on UNSUBSCRIBE' });
  await dev.subscribeAsync('room', { qos: 0 });
  await waitFor(() => events(watcher).length === 3, { what: 'the join again' });
  dev.stream.destroy(); // the device vanishes: its connection's presence ends with it
  await waitFor(() => events(watcher).length === 4, { what: 'the leave on disconnect' });
  assert.deepEqual(events(watcher), ['join:sensor-7:1', 'leave:sensor-7:0', 'join:sensor-7:1', 'leave:sensor-7:0']);

  // MQTT over WebSocket, on the other gateway: the same.
  const ws = await client(wsUrl(1), { protocolVersion: 4, username: t.subscribeKey, password: token, clientId: 'sensor-ws' });
  await ws.subscribeAsync('room', { qos: 0 });
  await waitFor(() => events(watcher).length === 5, { what: 'the WebSocket MQTT client’s join' });
  await ws.endAsync();
  await waitFor(() => events(watcher).length === 6, { what: 'its leave on DISCONNECT' });
  watcher.close();
});
