import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertPublicTarget, parseWebhookUrl } from './webhook-url.js';
import { signWebhook, verifyWebhook } from './signature.js';

test('webhook URLs: http(s) only, no credentials; hosts resolving to private addresses refused', async () => {
  assert.throws(() => parseWebhookUrl('ftp://example.com'), /http or https/);
  assert.throws(() => parseWebhookUrl('http://user:pw@example.com'), /credentials/);
  assert.throws(() => parseWebhookUrl(42), /string/);
  assert.equal(parseWebhookUrl('https://example.com/h?x=1').hostname, 'example.com');
  await assert.rejects(assertPublicTarget(new URL('http://127.0.0.1:8080/')), /webhook_url_private|private, loopback/);
  await assert.rejects(assertPublicTarget(new URL('http://[::1]/')), /private/);
  await assert.rejects(assertPublicTarget(new URL('http://metadata.internal/'), async () => ['169.254.169.254']), /169\.254\.169\.254/);
  await assert.rejects(assertPublicTarget(new URL('http://mixed.example/'), async () => ['8.8.8.8', '10.0.0.1']), /10\.0\.0\.1/);
  await assertPublicTarget(new URL('https://hooks.example/'), async () => ['93.184.216.34']);
  for (const url of ['http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]/', 'http://[::7f00:1]/', 'http://0x7f000001/', 'http://2130706433/']) {
    await assert.rejects(assertPublicTarget(new URL(url)), { reason: 'webhook_url_private' }, url);
  }
  await assert.rejects(assertPublicTarget(new URL('http://rebind.example/'), async () => ['::ffff:169.254.169.254']), { reason: 'webhook_url_private' });
  await assert.rejects(assertPublicTarget(new URL('http://nowhere.invalid/'), async () => Promise.reject(new Error('ENOTFOUND'))), { reason: 'invalid_webhook_url' });
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
