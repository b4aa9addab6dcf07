import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createTenant, restPublish, startStack, waitFor, WsClient, type Stack, type Tenant } from '@herald/testing';

// MQTT 3.1.1 and 5.0 (issue 17, first slice) against real gateways, with the `mqtt` npm client over TCP
// and WebSocket: one channel log with Herald's WebSocket and REST.
let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 2, workers: 0 });
});
const clients: MqttClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  await stack.stop();
});

const tcpUrl = (g = 0) => `mqtt://127.0.0.1:${stack.gateways[g].listening('mqtt')}`;
const wsUrl = (g = 0) => `${stack.gateways[g].url.replace('http', 'ws')}/mqtt`;

/** A connected client, or the CONNACK refusal's error. */
async function client(url: string, opts: IClientOptions): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
  clients.push(c);
  return c;
}

/** Collects messages per topic as text. */
function inbox(c: MqttClient): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  c.on('message', (topic, payload) => seen.set(topic, [...(seen.get(topic) ?? []), payload.toString('utf8')]));
  return seen;
}

async function refusal(url: string, opts: IClientOptions): Promise<{ code?: number; message: string }> {
  try {
    const c = await client(url, opts);
    await c.endAsync(true);
  } catch (e) {
    return { code: (e as { code?: number }).code, message: (e as Error).message };
  }
  throw new Error('connected; a refusal was expected');
}

test('3.1.1 over TCP: REST publish → MQTT; MQTT QoS 0 and 1 → WebSocket; topics with / are channels', async () => {
  const t = await createTenant(stack.apiUrl);
  const sub = await client(tcpUrl(0), { protocolVersion: 4, username: t.subscribeKey, clientId: 'sub-1' });
  const got = inbox(sub);
  const granted = await sub.subscribeAsync({ 'devices/42/telemetry': { qos: 1 }, plain: { qos: 0 } });
  assert.deepEqual(granted.map((g) => g.qos), [1, 0]);
  await restPublish(stack.apiUrl, t.secret, { channel: 'devices/42/telemetry', message: 'from REST' });
  await restPublish(stack.apiUrl, t.secret, { channel: 'plain', message: { n: 1 } });
  await waitFor(() => (got.get('devices/42/telemetry')?.length ?? 0) === 1 && (got.get('plain')?.length ?? 0) === 1, { what: 'REST messages over MQTT' });
  assert.deepEqual(got.get('devices/42/telemetry'), ['from REST'], 'a string message is its bytes');
  assert.deepEqual(got.get('plain'), ['{"n":1}'], 'any other message is its JSON text');

  const ws = await WsClient.connect(stack.wsUrl(1), t.subscribeKey);
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

test('5.0 over WebSocket (/mqtt, subprotocol mqtt): subscribe, publish, unsubscribe; CONNACK says what is not served', async () => {
  const t = await createTenant(stack.apiUrl);
  const c = await client(wsUrl(0), { protocolVersion: 5, username: t.commonKey, clientId: 'ws-5' });
  const got = inbox(c);
  const [g] = await c.subscribeAsync('rooms/a', { qos: 1 });
  assert.equal(g.qos, 1);
  await c.publishAsync('rooms/a', 'hello', { qos: 1 });
  await waitFor(() => got.get('rooms/a')?.length === 1, { what: 'own publish delivered (MQTT has no no-local by default)' });
  await c.unsubscribeAsync('rooms/a');
  await restPublish(stack.apiUrl, t.secret, { channel: 'rooms/a', message: 'after' });
  await c.publishAsync('rooms/b', 'fence', { qos: 1 });
  assert.deepEqual(got.get('rooms/a'), ['hello'], 'nothing after UNSUBSCRIBE');
  const refused = await c.subscribeAsync(['rooms/+', '$share/g/rooms/a'], { qos: 0 }).then(
    () => assert.fail('wildcard and shared subscriptions are refused in this slice'),
    (e: { packet?: { granted: number[] } }) => e.packet?.granted,
  );
  assert.deepEqual(refused, [0xa2, 0x9e], 'wildcard and shared subscriptions: their 5.0 reason codes');
});

test('auth: bad key, wrong secret, other app’s secret → CONNACK refusals; a subscribe key cannot publish; private channels need a token', async () => {
  const a = await createTenant(stack.apiUrl);
  const b = await createTenant(stack.apiUrl);
  assert.equal((await refusal(tcpUrl(), { protocolVersion: 4, username: 'BC-nosuchkeynosuchkeynosuch', clientId: 'x' })).code, 4, '3.1.1 bad user name or password');
  assert.equal((await refusal(tcpUrl(), { protocolVersion: 5, username: 'BC-nosuchkeynosuchkeynosuch', clientId: 'x' })).code, 0x86);
  assert.equal((await refusal(tcpUrl(), { protocolVersion: 5, username: a.commonKey, password: b.secret, clientId: 'x' })).code, 0x86, "app B's secret with app A's key");
  assert.equal((await refusal(tcpUrl(), { protocolVersion: 4, username: undefined, clientId: 'x' })).code, 4, 'no key at all');

  const ro = await client(tcpUrl(), { protocolVersion: 5, username: a.subscribeKey, clientId: 'ro' });
  await assert.rejects(ro.publishAsync('x', 'no', { qos: 1 }), (e: Error & { code?: number }) => e.code === 0x87, 'a subscribe key may not publish: PUBACK 0x87');
  const priv = await ro.subscribeAsync('private-room', { qos: 1 }).then(
    () => assert.fail('a private channel without a token is refused'),
    (e: { packet?: { granted: number[] } }) => e.packet?.granted,
  );
  assert.deepEqual(priv, [0x87], 'a private channel without a token: not authorized');
  // The secret as password: full rights, private channels included.
  const admin = await client(tcpUrl(), { protocolVersion: 5, username: a.commonKey, password: a.secret, clientId: 'admin' });
  assert.equal((await admin.subscribeAsync('private-room', { qos: 1 }))[0].qos, 1);
  await admin.publishAsync('private-room', 'secret-only', { qos: 1 });
  // Tenant isolation: the same topic in app B carries nothing of app A.
  const other = await client(tcpUrl(), { protocolVersion: 5, username: b.commonKey, password: b.secret, clientId: 'admin' });
  const seen = inbox(other);
  await other.subscribeAsync('private-room', { qos: 1 });
  await admin.publishAsync('private-room', 'only for A', { qos: 1 });
  await other.publishAsync('fence', 'x', { qos: 1 });
  assert.equal(seen.get('private-room'), undefined, 'the same client id and topic in another app is another client and channel');
});

test('hostile input: bad topic, non-UTF-8 payload, oversized payload → reason codes and nothing stored; 3.1.1 refusals close; garbage closes', async () => {
  const t = await createTenant(stack.apiUrl);
  const c = await client(tcpUrl(), { protocolVersion: 5, username: t.commonKey, password: t.secret, clientId: 'h' });
  await assert.rejects(c.publishAsync('bad topic', 'x', { qos: 1 }), (e: Error & { code?: number }) => e.code === 0x90, 'topic name invalid');
  await assert.rejects(c.publishAsync('big', 'x'.repeat(70_000), { qos: 1 }), (e: Error & { code?: number }) => e.code === 0x83, 'over the plan payload: PUBACK has no size code, 0x83 with the reason string');
  const h = await fetch(`${stack.apiUrl}/v1/channels/big/history?limit=10`, { headers: { authorization: `Bearer ${t.secret}` } });
  assert.equal(((await h.json()) as { messages: unknown[] }).messages.length, 0, 'nothing stored');
  const closed = new Promise<void>((resolve) => c.once('disconnect', () => resolve()));
  c.publish('bin', Buffer.from([0xff, 0xfe, 0x00]), { qos: 0 });
  await closed; // DISCONNECT 0x99 payload format invalid

  const v4 = await client(tcpUrl(), { protocolVersion: 4, username: t.subscribeKey, clientId: 'v4' });
  const gone = new Promise<void>((resolve) => v4.once('close', () => resolve()));
  v4.publish('x', 'refused', { qos: 1 });
  await gone; // 3.1.1 has no negative PUBACK: a refused QoS 1 publish closes rather than acknowledging

  // Not MQTT at all, and a CONNECT announcing a 200 MB packet: the socket is closed, the gateway lives on.
  for (const bytes of [Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f])]) {
    const s = netConnect(stack.gateways[0].listening('mqtt')!, '127.0.0.1');
    s.write(bytes);
    await new Promise<void>((resolve) => s.once('close', () => resolve()));
  }
  assert.equal((await fetch(`${stack.gateways[0].url}/health`)).status, 200);
});

/** Connects and returns the client with its CONNACK's sessionPresent. */
async function session(url: string, opts: IClientOptions): Promise<{ c: MqttClient; present: boolean; got: string[]; disconnected: Promise<number | undefined> }> {
  const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, resubscribe: false, ...opts });
  clients.push(c);
  const got: string[] = [];
  c.on('message', (_topic, payload) => got.push(payload.toString('utf8')));
  // Listening from the start: a DISCONNECT may come in the same read as the CONNACK.
  const disconnected = new Promise<number | undefined>((resolve) => c.once('disconnect', (p) => resolve(p.reasonCode)));
  const present = await new Promise<boolean>((resolve, reject) => {
    c.once('connect', (connack) => resolve(connack.sessionPresent));
    c.once('error', reject);
  });
  return { c, present, got, disconnected };
}

for (const version of [4, 5] as const) {
  test(`persistent session (${version === 4 ? '3.1.1 cleanSession=false' : '5.0 cleanStart=false + expiry'}): 50 messages while away, back on the other gateway → all 50 once, in order`, async () => {
    const t = await createTenant(stack.apiUrl);
    const opts: IClientOptions = { protocolVersion: version, username: t.commonKey, clientId: `device-${version}`, clean: false, ...(version === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}) };
    const first = await session(tcpUrl(0), opts);
    assert.equal(first.present, false, 'a new session');
    await first.c.subscribeAsync('fleet/alerts', { qos: 1 });
    await restPublish(stack.apiUrl, t.secret, { channel: 'fleet/alerts', message: 'before' });
    await waitFor(() => first.got.length === 1, { what: 'the first message' });
    await first.c.endAsync();
    for (let i = 0; i < 50; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'fleet/alerts', message: `m${i}` });
    const back = await session(tcpUrl(1), opts);
    assert.equal(back.present, true, 'the session is found on another gateway');
    await waitFor(() => back.got.length >= 50, { what: `50 missed messages (have ${back.got.length})` });
    await restPublish(stack.apiUrl, t.secret, { channel: 'fleet/alerts', message: 'live' });
    await waitFor(() => back.got.length === 51, { what: 'live after the replay' });
    assert.deepEqual(back.got, [...Array.from({ length: 50 }, (_, i) => `m${i}`), 'live'], 'every missed message once, in order, then live');
    // A clean session forgets it (and, on 5.0, an expiry of 0 ends the new one with the connection).
    await back.c.endAsync();
    const clean = await session(tcpUrl(0), { ...opts, clean: true, ...(version === 5 ? { properties: { sessionExpiryInterval: 0 } } : {}) });
    assert.equal(clean.present, false);
    await clean.c.endAsync();
    assert.equal((await session(tcpUrl(0), opts)).present, false, 'nothing left after a clean session');
  });
}

test('persistent session beyond the history window: told so (closed), then sessionPresent=false — never a silent gap', async () => {
  const t = await createTenant(stack.apiUrl, { historySize: 10 });
  const opts: IClientOptions = { protocolVersion: 5, username: t.commonKey, clientId: 'far-away', clean: false, properties: { sessionExpiryInterval: 600 } };
  const first = await session(tcpUrl(0), opts);
  await first.c.subscribeAsync('far', { qos: 1 });
  await first.c.endAsync();
  for (let i = 0; i < 30; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'far', message: `m${i}` });
  const back = await session(tcpUrl(1), opts);
  assert.equal(back.present, true);
  const reason = await back.disconnected;
  assert.equal(reason, 0x80, 'DISCONNECT: the session cannot continue');
  assert.ok(back.got.length < 30, 'not the missing messages as if nothing happened');
  const again = await session(tcpUrl(0), opts);
  assert.equal(again.present, false, 'the lost session is gone: the client knows to start over');
});

test('Last Will: published when a device vanishes, not after DISCONNECT; a will that could never be published refuses the CONNECT', async () => {
  const t = await createTenant(stack.apiUrl);
  const watcher = await client(tcpUrl(1), { protocolVersion: 5, username: t.subscribeKey, clientId: 'watcher' });
  const seen = inbox(watcher);
  await watcher.subscribeAsync('devices/7/status', { qos: 1 });
  const will = { topic: 'devices/7/status', payload: Buffer.from('offline'), qos: 1 as const, retain: false };
  const polite = await client(tcpUrl(0), { protocolVersion: 4, username: t.commonKey, clientId: 'polite', will });
  await polite.endAsync(); // DISCONNECT: no will
  const vanishing = await client(tcpUrl(0), { protocolVersion: 4, username: t.commonKey, clientId: 'vanishing', will });
  vanishing.stream.destroy(); // the network goes away: no DISCONNECT
  await waitFor(() => seen.get('devices/7/status')?.length === 1, { what: 'the will' });
  await restPublish(stack.apiUrl, t.secret, { channel: 'devices/7/status', message: 'fence' });
  await waitFor(() => seen.get('devices/7/status')?.length === 2, { what: 'the fence' });
  assert.deepEqual(seen.get('devices/7/status'), ['offline', 'fence'], 'one will: the polite client left none');
  // A subscribe key cannot publish, so neither can its will; a bad will topic is refused too.
  assert.equal((await refusal(tcpUrl(), { protocolVersion: 5, username: t.subscribeKey, clientId: 'w1', will })).code, 0x87);
  assert.equal((await refusal(tcpUrl(), { protocolVersion: 5, username: t.commonKey, clientId: 'w2', will: { ...will, topic: 'bad topic' } })).code, 0x90);
});

test('retained messages: the last retained PUBLISH goes to each new MQTT subscriber (flagged), an empty one clears it; it is also an ordinary message in the channel log', async () => {
  const t = await createTenant(stack.apiUrl);
  const ws = await WsClient.connect(stack.wsUrl(0), t.subscribeKey);
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
  await restPublish(stack.apiUrl, t.secret, { channel: 'state/door', message: 'fence' });
  await waitFor(() => seen.get('state/door')?.length === 1, { what: 'the fence' });
  assert.deepEqual(seen.get('state/door'), ['fence'], 'nothing retained after the empty retained publish');
  assert.deepEqual((await ws.waitForMessages(5, 'state/door')).map((f) => f.content), ['closed', 'open', 'ajar', '', 'fence'], 'every publish is in the channel log');
  ws.close();
});

/** Runs one of Debian's mosquitto clients (`mosquitto-clients`) to completion; its stdout. */
function mosquitto(cmd: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(`/usr/bin/${cmd}`, args, { timeout: timeoutMs }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd}: ${err.message} ${stderr}`)) : resolve(stdout)));
  });
}

test("Debian's mosquitto_sub and mosquitto_pub (a second, independent client): REST → mosquitto_sub, mosquitto_pub → WebSocket; a bad key is refused", async () => {
  const t = await createTenant(stack.apiUrl);
  const port = String(stack.gateways[0].listening('mqtt'));
  // -C 2: exit after two messages; -v: "topic payload" lines; -V mqttv311 and mqttv5 both.
  const sub = mosquitto('mosquitto_sub', ['-h', '127.0.0.1', '-p', port, '-u', t.subscribeKey, '-i', 'mosq-sub', '-t', 'plant/line-1', '-q', '1', '-C', '2', '-v', '-V', 'mqttv5']);
  await waitFor(async () => ((await fetch(`${stack.apiUrl}/v1/apps/${t.appId}/channels`, { headers: { authorization: `Bearer ${t.token}` } }).then((r) => r.json())) as { channels?: Array<{ channel: string }> }).channels?.some((c) => c.channel === 'plant/line-1') === true, { what: 'mosquitto_sub subscribed' });
  await restPublish(stack.apiUrl, t.secret, { channel: 'plant/line-1', message: 'from REST' });
  const ws = await WsClient.connect(stack.wsUrl(1), t.subscribeKey);
  await ws.subscribe('plant/line-1');
  await mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-u', t.commonKey, '-i', 'mosq-pub', '-t', 'plant/line-1', '-m', 'from mosquitto_pub', '-q', '1', '-V', 'mqttv311']);
  assert.equal(await sub, 'plant/line-1 from REST\nplant/line-1 from mosquitto_pub\n');
  assert.deepEqual((await ws.waitForMessages(1, 'plant/line-1')).map((f) => f.content), ['from mosquitto_pub']);
  await assert.rejects(mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-u', 'BC-nosuchkeynosuchkeynosuch', '-t', 'x', '-m', 'x', '-q', '1']), /mosquitto_pub/);
  ws.close();
});
