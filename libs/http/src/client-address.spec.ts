import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { loadConfig } from '@herald/config';
import { ClientAddresses } from './client-address.js';

/** ClientAddresses as a process builds it, from HERALD_TRUST_PROXY through the config's own parser. */
const trusting = (list?: string) => new ClientAddresses(loadConfig(list === undefined ? {} : { HERALD_TRUST_PROXY: list }).trustProxy);
const request = (peer: string | undefined, xff?: string | string[]) =>
  ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

test('no proxy trusted (the default): the peer, whatever X-Forwarded-For says', () => {
  for (const clients of [trusting(), trusting(''), trusting(' , ')]) {
    assert.equal(clients.of(request('203.0.113.9')), '203.0.113.9');
    assert.equal(clients.of(request('203.0.113.9', '198.51.100.1')), '203.0.113.9');
    assert.equal(clients.of(request('127.0.0.1', '198.51.100.1, 127.0.0.1')), '127.0.0.1');
  }
  assert.equal(trusting().of(request(undefined)), 'unknown', 'a socket already gone');
});

test('a spoofed X-Forwarded-For from a peer that is not a trusted proxy is ignored', () => {
  const clients = trusting('127.0.0.1');
  assert.equal(clients.of(request('203.0.113.9', '198.51.100.1')), '203.0.113.9');
  assert.equal(clients.of(request('203.0.113.9', '127.0.0.1')), '203.0.113.9', 'naming the proxy does not make it one');
});

test('behind one trusted proxy: the address it appended, not what the client wrote before it', () => {
  const clients = trusting('127.0.0.1');
  assert.equal(clients.of(request('127.0.0.1', '198.51.100.7')), '198.51.100.7');
  // The client sent "X-Forwarded-For: 1.1.1.1, 2.2.2.2"; nginx appended the address it saw.
  assert.equal(clients.of(request('127.0.0.1', '1.1.1.1, 2.2.2.2, 198.51.100.7')), '198.51.100.7');
  // The header given twice: Node joins the lines in order.
  assert.equal(clients.of(request('127.0.0.1', ['1.1.1.1', '198.51.100.7'])), '198.51.100.7');
  // No header at all from the trusted proxy: the proxy is the client as far as anyone can tell.
  assert.equal(clients.of(request('127.0.0.1')), '127.0.0.1');
});

test('multiple hops: walks left over trusted proxies (addresses and CIDR ranges) to the first untrusted one', () => {
  const both = trusting('127.0.0.1, 10.0.0.0/8');
  assert.equal(both.of(request('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.1.2.3')), '198.51.100.7');
  assert.equal(both.of(request('10.9.9.9', '198.51.100.7, 10.1.2.3')), '198.51.100.7', 'the peer itself in a range');
  // Only the edge proxy trusted: the inner hop's claim is not followed.
  assert.equal(trusting('127.0.0.1').of(request('127.0.0.1', '198.51.100.7, 10.1.2.3')), '10.1.2.3');
  // Every hop trusted: the left-most is the closest to the client anyone vouches for.
  assert.equal(both.of(request('127.0.0.1', '10.0.0.1, 10.0.0.2')), '10.0.0.1');
});

test('IPv6: ranges, one spelling per address, IPv4-mapped peers as IPv4', () => {
  const clients = trusting('::1, fd00::/8, 127.0.0.1');
  assert.equal(clients.of(request('::1', '2001:DB8:0:0::1')), '2001:db8::1');
  assert.equal(clients.of(request('::1', '2001:db8::1, fd12:3456::5')), '2001:db8::1');
  assert.equal(clients.of(request('2001:db8::2', '2001:db8::1')), '2001:db8::2', 'an untrusted IPv6 peer');
  // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d: still the trusted 127.0.0.1, and an
  // untrusted one is counted under its IPv4 spelling.
  assert.equal(clients.of(request('::ffff:127.0.0.1', '198.51.100.7')), '198.51.100.7');
  assert.equal(clients.of(request('::ffff:203.0.113.9', '198.51.100.7')), '203.0.113.9');
  assert.equal(trusting().of(request('::ffff:203.0.113.9')), '203.0.113.9');
  assert.equal(clients.of(request('::1', '::ffff:198.51.100.7')), '198.51.100.7');
  assert.equal(clients.of(request('fe80::1%eth0')), 'fe80::1', 'no zone id in a key');
});

test('malformed entries are never taken as the address: the walk stops at the last real hop', () => {
  const clients = trusting('127.0.0.1, 10.0.0.0/8');
  for (const xff of ['', ' ', 'garbage', 'unknown', '999.1.1.1', '198.51.100.7:4711', '198.51.100.7,', '198.51.100.7, ,', '[::1]', 'x'.repeat(8_000)]) {
    assert.equal(clients.of(request('127.0.0.1', xff)), '127.0.0.1', JSON.stringify(xff.slice(0, 40)));
  }
  // Garbage behind a trusted hop: that hop is the answer, not anything further left.
  assert.equal(clients.of(request('127.0.0.1', '198.51.100.7, junk, 10.0.0.5')), '10.0.0.5');
  // Garbage left of the client's real address is the client's own writing, never reached.
  assert.equal(clients.of(request('127.0.0.1', 'junk, <script>, 198.51.100.7')), '198.51.100.7');
});
