import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { createTenant } from '@herald/testing';
import { inbox, mqttStack } from './mqtt-helpers.js';

// MQTT auth, tenant isolation and hostile input (issue 17): CONNACK/PUBACK/SUBACK reason codes, nothing stored.
const m = mqttStack();
const { tcpUrl, client, refusal } = m;

test('auth: bad key, wrong secret, other app’s secret → CONNACK refusals; a subscribe key cannot publish; private channels need a token', async () => {
  const a = await createTenant(m.stack.apiUrl);
  const b = await createTenant(m.stack.apiUrl);
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
  const t = await createTenant(m.stack.apiUrl);
  const c = await client(tcpUrl(), { protocolVersion: 5, username: t.commonKey, password: t.secret, clientId: 'h' });
  await assert.rejects(c.publishAsync('bad topic', 'x', { qos: 1 }), (e: Error & { code?: number }) => e.code === 0x90, 'topic name invalid');
  await assert.rejects(c.publishAsync('big', 'x'.repeat(70_000), { qos: 1 }), (e: Error & { code?: number }) => e.code === 0x83, 'over the plan payload: PUBACK has no size code, 0x83 with the reason string');
  const h = await fetch(`${m.stack.apiUrl}/v1/channels/big/history?limit=10`, { headers: { authorization: `Bearer ${t.secret}` } });
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
    const s = netConnect(m.stack.gateways[0].listening('mqtt')!, '127.0.0.1');
    s.write(bytes);
    await new Promise<void>((resolve) => s.once('close', () => resolve()));
  }
  assert.equal((await fetch(`${m.stack.gateways[0].url}/health`)).status, 200);
});
