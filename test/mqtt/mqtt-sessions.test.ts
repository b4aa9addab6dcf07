import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IClientOptions } from 'mqtt';
import { createTenant, restPublish, waitFor } from '@herald/testing';
import { mqttStack } from './mqtt-helpers.js';

// Persistent MQTT sessions (issue 17): positions in Redis, resumed on any gateway; lost explicitly beyond the history window.
const m = mqttStack();
const { tcpUrl, session } = m;

for (const version of [4, 5] as const) {
  test(`persistent session (${version === 4 ? '3.1.1 cleanSession=false' : '5.0 cleanStart=false + expiry'}): 50 messages while away, back on the other gateway → all 50 once, in order`, async () => {
    const t = await createTenant(m.stack.apiUrl);
    const opts: IClientOptions = { protocolVersion: version, username: t.commonKey, clientId: `device-${version}`, clean: false, ...(version === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}) };
    const first = await session(tcpUrl(0), opts);
    assert.equal(first.present, false, 'a new session');
    await first.c.subscribeAsync('fleet/alerts', { qos: 1 });
    await restPublish(m.stack.apiUrl, t.secret, { channel: 'fleet/alerts', message: 'before' });
    await waitFor(() => first.got.length === 1, { what: 'the first message' });
    await first.c.endAsync();
    for (let i = 0; i < 50; i++) await restPublish(m.stack.apiUrl, t.secret, { channel: 'fleet/alerts', message: `m${i}` });
    const back = await session(tcpUrl(1), opts);
    assert.equal(back.present, true, 'the session is found on another gateway');
    await waitFor(() => back.got.length >= 50, { what: `50 missed messages (have ${back.got.length})` });
    await restPublish(m.stack.apiUrl, t.secret, { channel: 'fleet/alerts', message: 'live' });
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
  const t = await createTenant(m.stack.apiUrl, { historySize: 10 });
  const opts: IClientOptions = { protocolVersion: 5, username: t.commonKey, clientId: 'far-away', clean: false, properties: { sessionExpiryInterval: 600 } };
  const first = await session(tcpUrl(0), opts);
  await first.c.subscribeAsync('far', { qos: 1 });
  await first.c.endAsync();
  for (let i = 0; i < 30; i++) await restPublish(m.stack.apiUrl, t.secret, { channel: 'far', message: `m${i}` });
  const back = await session(tcpUrl(1), opts);
  assert.equal(back.present, true);
  const reason = await back.disconnected;
  assert.equal(reason, 0x80, 'DISCONNECT: the session cannot continue');
  assert.ok(back.got.length < 30, 'not the missing messages as if nothing happened');
  const again = await session(tcpUrl(0), opts);
  assert.equal(again.present, false, 'the lost session is gone: the client knows to start over');
});

test('session takeover: the same client id on the other gateway disconnects the older connection (5.0: 0x8E; 3.1.1: closed) and the newer one holds the session; the same id in another app is another client', async () => {
  const a = await createTenant(m.stack.apiUrl);
  const b = await createTenant(m.stack.apiUrl);
  const otherApp = await session(tcpUrl(0), { protocolVersion: 5, username: b.commonKey, clientId: 'twin' });
  const opts: IClientOptions = { protocolVersion: 5, username: a.commonKey, clientId: 'twin', clean: false, properties: { sessionExpiryInterval: 600 } };
  const older = await session(tcpUrl(0), opts);
  await older.c.subscribeAsync('twin/state', { qos: 1 });
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'twin/state', message: 'before' });
  await waitFor(() => older.got.length === 1, { what: 'the first message' });
  const newer = await session(tcpUrl(1), opts);
  assert.equal(newer.present, true, 'the newer connection gets the session');
  assert.equal(await older.disconnected, 0x8e, 'session taken over');
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'twin/state', message: 'after' });
  await waitFor(() => newer.got.includes('after'), { what: 'the newer connection’s message' });
  // Resumed from the older connection's last saved position, without a new SUBSCRIBE: 'before' comes
  // again when its acknowledgement was not checkpointed yet (at least once), never a gap.
  assert.deepEqual(newer.got[0] === 'before' ? newer.got.slice(1) : newer.got, ['after']);
  assert.deepEqual(older.got, ['before']);
  assert.ok(otherApp.c.connected, 'app B’s client with the same id was not taken over (the notice reached its gateway)');

  // 3.1.1, clean sessions, both on one gateway: the older stream is closed.
  const first = await session(tcpUrl(1), { protocolVersion: 4, username: a.commonKey, clientId: 'twin-311' });
  const closed = new Promise<void>((resolve) => first.c.once('close', () => resolve()));
  const second = await session(tcpUrl(1), { protocolVersion: 4, username: a.commonKey, clientId: 'twin-311' });
  await closed;
  await second.c.subscribeAsync('twin/311', { qos: 0 });
  await restPublish(m.stack.apiUrl, a.secret, { channel: 'twin/311', message: 'to the newer' });
  await waitFor(() => second.got.includes('to the newer'), { what: 'the newer 3.1.1 connection works' });
  assert.ok(second.c.connected && !first.c.connected);
});

test('a SIGKILLed gateway: its persistent MQTT clients (3.1.1 and 5.0) resume on another and get every message published meanwhile, once, in order', async () => {
  const t = await createTenant(m.stack.apiUrl);
  const doomed = await m.stack.startGateway();
  const doomedUrl = `mqtt://127.0.0.1:${doomed.listening('mqtt')}`;
  const opts = (version: 4 | 5): IClientOptions => ({ protocolVersion: version, username: t.subscribeKey, clientId: `survivor-${version}`, clean: false, ...(version === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}) });
  const before = await Promise.all(([4, 5] as const).map((v) => session(doomedUrl, opts(v))));
  for (const s of before) await s.c.subscribeAsync('fleet/kill', { qos: 1 });
  await restPublish(m.stack.apiUrl, t.secret, { channel: 'fleet/kill', message: 'before' });
  await waitFor(() => before.every((s) => s.got.length === 1), { what: 'the message before the kill' });
  const closed = before.map((s) => new Promise<void>((resolve) => s.c.once('close', () => resolve())));
  await doomed.stop('SIGKILL');
  await Promise.all(closed);
  for (let i = 0; i < 20; i++) await restPublish(m.stack.apiUrl, t.secret, { channel: 'fleet/kill', message: `m${i}` });
  const back = await Promise.all(([4, 5] as const).map((v) => session(tcpUrl(1), opts(v))));
  await restPublish(m.stack.apiUrl, t.secret, { channel: 'fleet/kill', message: 'live' });
  for (const s of back) {
    assert.equal(s.present, true, 'the session outlived its gateway');
    await waitFor(() => s.got.includes('live'), { what: `the live message after the replay (have ${s.got.length})` });
    // A killed gateway may not have saved the position of 'before' (checkpoints): sent again then, never lost.
    const replay = s.got[0] === 'before' ? s.got.slice(1) : s.got;
    assert.deepEqual(replay, [...Array.from({ length: 20 }, (_, i) => `m${i}`), 'live'], 'every message published meanwhile, once, in order');
  }
});
