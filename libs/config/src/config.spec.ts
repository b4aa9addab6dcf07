import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.js';

test('defaults follow DESIGN section 10', () => {
  const c = loadConfig({});
  assert.equal(c.apiPort, 3000);
  assert.equal(c.gatewayPort, 3001);
  assert.equal(c.pingIntervalMs, 25_000);
  assert.equal(c.pongTimeoutMs, 10_000);
  assert.equal(c.keyGraceMs, 24 * 3_600_000);
  assert.equal(c.idempotencyTtlMs, 24 * 3_600_000);
  assert.ok(c.masterKeyIsDefault);
});

test('timings are configurable and validated', () => {
  assert.equal(loadConfig({ HERALD_PING_INTERVAL_MS: '500' }).pingIntervalMs, 500);
  assert.throws(() => loadConfig({ HERALD_PING_INTERVAL_MS: 'soon' }), /HERALD_PING_INTERVAL_MS/);
  assert.throws(() => loadConfig({ HERALD_REDIS_PREFIX: 'has space' }), /HERALD_REDIS_PREFIX/);
});

test('production refuses to start without a 32-byte master key', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /HERALD_MASTER_KEY is required/);
  assert.throws(() => loadConfig({ NODE_ENV: 'production', HERALD_MASTER_KEY: 'abcd' }), /32 bytes/);
  const c = loadConfig({ NODE_ENV: 'production', HERALD_MASTER_KEY: 'ab'.repeat(32) });
  assert.equal(c.masterKey.length, 32);
  assert.equal(c.masterKeyIsDefault, false);
});

test('transports can be switched off, never all of them', () => {
  assert.deepEqual([...loadConfig({}).transports], ['ws', 'sse', 'poll']);
  assert.deepEqual([...loadConfig({ HERALD_TRANSPORTS: 'sse, poll' }).transports], ['sse', 'poll']);
  assert.throws(() => loadConfig({ HERALD_TRANSPORTS: 'ws,carrier-pigeon' }), /HERALD_TRANSPORTS/);
  assert.throws(() => loadConfig({ HERALD_TRANSPORTS: '' }), /HERALD_TRANSPORTS/);
});
