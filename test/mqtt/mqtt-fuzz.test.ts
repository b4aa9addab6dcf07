import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import fc from 'fast-check';
import { generate, parser as mqttParser, type Packet } from 'mqtt-packet';
import { createTenant, restPublish, waitFor, type Tenant } from '@herald/testing';
import { inbox, mqttStack } from './mqtt-helpers.js';

// Fuzzed MQTT packets over TCP (issue 17), with fast-check: random and mutated bytes after a valid
// CONNECT, and well-formed but hostile packets. Each connection gets the right reason code or is closed;
// nothing reaches a channel's history; the gateway stays up and serves a normal client afterwards.
// HERALD_MQTT_FUZZ_RUNS bounds each property's runs; HERALD_MQTT_FUZZ_WAIT_MS is how long a connection
// left waiting for the rest of a packet is watched before the test moves on.
const RUNS = Number(process.env.HERALD_MQTT_FUZZ_RUNS ?? 25);
const WAIT_MS = Number(process.env.HERALD_MQTT_FUZZ_WAIT_MS ?? 300);
const m = mqttStack({ gateways: 1, workers: 0 });
const { tcpUrl, client } = m;

type Version = 4 | 5;
interface Outcome {
  /** Packets the gateway sent after CONNACK. */
  packets: Packet[];
  /** The gateway closed the connection. */
  closed: boolean;
  /** A PINGREQ sent after the hostile bytes was answered: the connection took them and lives on. */
  fenced: boolean;
}

/** CONNECT with the key, hostile bytes, then a PINGREQ fence; what the gateway answered, and whether it closed. */
async function exchange(t: Tenant, version: Version, hostile: Buffer, key = t.commonKey): Promise<Outcome> {
  const socket = netConnect(m.stack.gateways[0].listening('mqtt')!, '127.0.0.1');
  const parser = mqttParser({ protocolVersion: version });
  const packets: Packet[] = [];
  let closed = false;
  let connack: Packet | undefined;
  parser.on('packet', (p: Packet) => (p.cmd === 'connack' && !connack ? (connack = p) : packets.push(p)));
  parser.on('error', () => undefined);
  socket.on('data', (d: Buffer) => parser.parse(d));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clean: true, clientId: `fuzz-${version}`, keepalive: 0, username: key }, { protocolVersion: version }));
  await waitFor(() => connack !== undefined || closed, { what: 'CONNACK' });
  assert.ok(connack && !closed, 'the CONNECT was accepted');
  socket.write(hostile);
  socket.write(generate({ cmd: 'pingreq' }, { protocolVersion: version }));
  const deadline = Date.now() + WAIT_MS;
  // Either answer ends it; a connection still waiting for the rest of a packet is given WAIT_MS.
  await waitFor(() => closed || packets.some((p) => p.cmd === 'pingresp') || Date.now() > deadline, { what: 'an answer or a close', intervalMs: 20 });
  const fenced = packets.some((p) => p.cmd === 'pingresp');
  socket.destroy();
  return { packets, closed, fenced };
}

const reasonCodes = (o: Outcome, cmd: Packet['cmd']) => o.packets.filter((p) => p.cmd === cmd).map((p) => (p as { reasonCode?: number }).reasonCode ?? 0);
const version = fc.constantFrom<Version>(4, 5);

test('random and mutated bytes after CONNECT: the connection answers, waits for the rest of a packet or is closed; the gateway lives on', async () => {
  const t = await createTenant(m.stack.apiUrl);
  const valid = (v: Version) =>
    [
      generate({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'fuzz/a', qos: 1 }] }, { protocolVersion: v }),
      generate({ cmd: 'unsubscribe', messageId: 8, unsubscriptions: ['fuzz/a'] }, { protocolVersion: v }),
      generate({ cmd: 'puback', messageId: 9 }, { protocolVersion: v }),
      generate({ cmd: 'pubrel', messageId: 10 }, { protocolVersion: v }),
    ] as Buffer[];
  const mutated = fc.tuple(version, fc.nat(3), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([v, i, flips]) => {
    const bytes = Buffer.from(valid(v)[i]);
    for (const [at, value] of flips) bytes[at % bytes.length] = value;
    return { v, bytes };
  });
  const random = fc.tuple(version, fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([v, a]) => ({ v, bytes: Buffer.from(a) }));
  await fc.assert(
    fc.asyncProperty(fc.oneof(mutated, random), async ({ v, bytes }) => {
      const o = await exchange(t, v, bytes);
      // Whatever was taken, a 5.0 DISCONNECT before the close names a protocol problem (or a refusal of what the bytes asked).
      for (const code of reasonCodes(o, 'disconnect')) assert.ok([0x81, 0x82, 0x83, 0x87, 0x8f, 0x90, 0x95, 0x96, 0x97, 0x99].includes(code), `DISCONNECT 0x${code.toString(16)}`);
    }),
    { numRuns: RUNS },
  );
  assert.equal((await fetch(`${m.stack.gateways[0].url}/health`)).status, 200);
});

test('well-formed hostile packets: bad topics, wildcard topics, non-UTF-8, oversized, a subscribe key publishing, bad filters, a second CONNECT → their reason codes (3.1.1: closed) and nothing stored', async () => {
  const t = await createTenant(m.stack.apiUrl);
  const badTopic = fc.oneof(fc.constantFrom('a b', 'x/+/y', 'x/#', '+', 'é', 'x'.repeat(165)), fc.string({ minLength: 1, maxLength: 20 }).filter((s) => /[^A-Za-z0-9_\-=@,.;:!/]/.test(s)));
  const hostile = fc.oneof(
    badTopic.map((topic) => ({ kind: 'topic' as const, packet: { cmd: 'publish' as const, topic, payload: Buffer.from('x'), qos: 1 as const, messageId: 1, dup: false, retain: false } })),
    fc.uint8Array({ minLength: 1, maxLength: 20 })
      .filter((a) => {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(a);
          return false;
        } catch {
          return true;
        }
      })
      .map((a) => ({ kind: 'utf8' as const, packet: { cmd: 'publish' as const, topic: 'fuzz/bin', payload: Buffer.from(a), qos: 1 as const, messageId: 2, dup: false, retain: false } })),
    fc.integer({ min: 65_537, max: 70_000 }).map((n) => ({ kind: 'size' as const, packet: { cmd: 'publish' as const, topic: 'fuzz/big', payload: Buffer.alloc(n, 0x61), qos: 1 as const, messageId: 3, dup: false, retain: false } })),
    fc.constant({ kind: 'readonly' as const, packet: { cmd: 'publish' as const, topic: 'fuzz/ro', payload: Buffer.from('no'), qos: 1 as const, messageId: 4, dup: false, retain: true } }),
    fc.constantFrom('a/#/b', 'a+', 'x y/#', '#/x').map((topic) => ({ kind: 'filter' as const, packet: { cmd: 'subscribe' as const, messageId: 5, subscriptions: [{ topic, qos: 1 as const }] } })),
    fc.constant({ kind: 'connect' as const, packet: { cmd: 'connect' as const, protocolId: 'MQTT', clientId: 'again', keepalive: 0, clean: true } }),
  );
  await fc.assert(
    fc.asyncProperty(version, hostile, async (v, { kind, packet }) => {
      const bytes = generate({ ...packet, protocolVersion: v } as Packet, { protocolVersion: v });
      const o = await exchange(t, v, bytes, kind === 'readonly' ? t.subscribeKey : t.commonKey);
      const what = `${kind} on ${v}: ${JSON.stringify({ packets: o.packets.map((p) => p.cmd), closed: o.closed })}`;
      if (kind === 'connect') return assert.ok(o.closed && (v === 4 || reasonCodes(o, 'disconnect')[0] === 0x82), `a second CONNECT is a protocol error: ${what}`);
      if (kind === 'filter') {
        const granted = o.packets.find((p) => p.cmd === 'suback') as { granted?: number[] } | undefined;
        return assert.ok((granted && granted.granted?.[0] === (v === 5 ? 0x8f : 0x80)) || o.closed, `topic filter invalid: ${what}`);
      }
      const expected = { topic: 0x90, utf8: 0x99, size: 0x83, readonly: 0x87 }[kind];
      // 3.1.1 has no negative PUBACK: a refused QoS 1 publish closes. 5.0: the PUBACK's code, or a
      // DISCONNECT when the packet itself is not acceptable (a wildcard topic name is a protocol error for some codecs).
      if (v === 4) return assert.ok(o.closed && reasonCodes(o, 'puback').length === 0, `closed, never acknowledged: ${what}`);
      const acked = reasonCodes(o, 'puback');
      assert.ok(acked[0] === expected || (acked.length === 0 && o.closed), `PUBACK 0x${expected.toString(16)}: ${what} ${acked}`);
    }),
    { numRuns: RUNS * 2 },
  );
  // Nothing of it stored; the gateway serves a normal client afterwards.
  for (const channel of ['fuzz/bin', 'fuzz/big', 'fuzz/ro']) {
    const h = await fetch(`${m.stack.apiUrl}/v1/channels/${encodeURIComponent(channel)}/history?limit=10`, { headers: { authorization: `Bearer ${t.secret}` } });
    assert.deepEqual(((await h.json()) as { messages: unknown[] }).messages, [], `nothing stored in ${channel}`);
  }
  const c = await client(tcpUrl(0), { protocolVersion: 5, username: t.commonKey, clientId: 'after-fuzz' });
  const got = inbox(c);
  await c.subscribeAsync('fuzz/ok', { qos: 1 });
  await c.publishAsync('fuzz/ok', 'still here', { qos: 1 });
  await restPublish(m.stack.apiUrl, t.secret, { channel: 'fuzz/ok', message: 'and REST' });
  await waitFor(() => got.get('fuzz/ok')?.length === 2, { what: 'a normal client after the fuzzing' });
  assert.deepEqual(got.get('fuzz/ok'), ['still here', 'and REST']);
});
