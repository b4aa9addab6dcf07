import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBlockedAddress, resolvePublicAsync } from './public-address.js';

test('loopback, private, link-local, CGNAT, unique-local, multicast, unspecified and reserved addresses are blocked', () => {
  const blocked = [
    '127.0.0.1', '127.255.255.254', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '100.127.255.255', '0.0.0.0', '0.1.2.3', '224.0.0.1', '239.255.255.250', '255.255.255.255', '198.18.0.1', '192.0.2.1',
    '::1', '::', 'fe80::1', 'fe80::1%eth0', 'fd00::1', 'fc12:3456::1', 'ff02::1', 'ff05::1:3', '2001:db8::1', 'fec0::1',
  ];
  for (const a of blocked) assert.equal(isBlockedAddress(a), true, a);
});

test('IPv6 forms carrying a private IPv4 address are blocked: mapped, hex-mapped, translated, compatible, 6to4, NAT64', () => {
  const blocked = [
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::FFFF:7F00:0001', '0:0:0:0:0:ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a00:1',
    '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::ffff:0:127.0.0.1', '::ffff:0:7f00:1', '::7f00:1', '::127.0.0.1',
    '::a00:1', '::8.8.8.8', '2002:7f00:1::', '2002:a00:1::1', '2002:c0a8:101::', '64:ff9b::7f00:1', '64:ff9b::8.8.8.8', '2001:0:1::1',
  ];
  for (const a of blocked) assert.equal(isBlockedAddress(a), true, a);
});

test('public addresses pass, including mapped and 6to4 forms of public IPv4', () => {
  const open = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '::ffff:808:808', '2002:808:808::1'];
  for (const a of open) assert.equal(isBlockedAddress(a), false, a);
});

test('anything that is not an IP address is blocked', () => {
  for (const a of ['', 'localhost', '127.1', '1::2::3', '::ffff:999.0.0.1', '[::1]']) assert.equal(isBlockedAddress(a), true, a);
});

test('resolving: literals are checked as they are; names are resolved and every address checked', async () => {
  await assert.rejects(resolvePublicAsync('127.0.0.1'), { name: 'PrivateTargetError' });
  await assert.rejects(resolvePublicAsync('[::ffff:7f00:1]'), { name: 'PrivateTargetError' });
  await assert.rejects(resolvePublicAsync('localhost'), { name: 'PrivateTargetError' });
  assert.deepEqual(await resolvePublicAsync('8.8.8.8'), [{ address: '8.8.8.8', family: 4 }]);
});
