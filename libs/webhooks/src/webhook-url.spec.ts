import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertPublicTarget, isBlockedAddress, parseWebhookUrl } from './webhook-url.js';
import { signWebhook, verifyWebhook } from './signature.js';

test('private, loopback, link-local and reserved addresses are blocked; public ones pass', () => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '224.0.0.1']) {
    assert.equal(isBlockedAddress(a), true, a);
  }
  for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.equal(isBlockedAddress(a), false, a);
});

test('webhook URLs: http(s) only, no credentials; hosts resolving to private addresses refused', async () => {
  assert.throws(() => parseWebhookUrl('ftp://example.com'), /http or https/);
  assert.throws(() => parseWebhookUrl('http://user:pw@example.com'), /credentials/);
  assert.throws(() => parseWebhookUrl(42), /string/);
  assert.equal(parseWebhookUrl('https://example.com/h?x=1').hostname, 'example.com');
  await assert.rejects(assertPublicTarget(new URL('http://127.0.0.1:8080/')), /private, loopback or link-local/);
  await assert.rejects(assertPublicTarget(new URL('http://[::1]/')), /private/);
  await assert.rejects(assertPublicTarget(new URL('http://metadata.internal/'), async () => ['169.254.169.254']), /169\.254\.169\.254/);
  await assert.rejects(assertPublicTarget(new URL('http://mixed.example/'), async () => ['8.8.8.8', '10.0.0.1']), /10\.0\.0\.1/);
  await assertPublicTarget(new URL('https://hooks.example/'), async () => ['93.184.216.34']);
});

test('signatures: HMAC over timestamp and raw body, checked in constant time, stale ones refused', () => {
  const now = 1_800_000_000_000;
  const h = signWebhook('whsec_x', '{"a":1}', now);
  assert.match(h, /^t=1800000000000,v1=[0-9a-f]{64}$/);
  assert.equal(verifyWebhook('whsec_x', '{"a":1}', h, 300_000, now + 1000), true);
  assert.equal(verifyWebhook('whsec_x', '{"a":2}', h, 300_000, now), false);
  assert.equal(verifyWebhook('whsec_y', '{"a":1}', h, 300_000, now), false);
  assert.equal(verifyWebhook('whsec_x', '{"a":1}', h, 300_000, now + 600_000), false);
  assert.equal(verifyWebhook('whsec_x', '{"a":1}', undefined), false);
});
