import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DEV_DEMO_PASSWORD, loadConfig } from './config.js';

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
  assert.throws(() => loadConfig({ NODE_ENV: 'production', HERALD_MASTER_KEY: '' }), /HERALD_MASTER_KEY is required/);
  assert.throws(() => loadConfig({ NODE_ENV: 'production', HERALD_MASTER_KEY: 'abcd' }), /32 bytes/);
  const key = randomBytes(32);
  for (const given of [key.toString('hex'), key.toString('base64')]) {
    const c = loadConfig({ NODE_ENV: 'production', HERALD_MASTER_KEY: given });
    assert.ok(c.masterKey.equals(key));
    assert.equal(c.masterKeyIsDefault, false);
  }
});

test('production refuses a master key published in the repository or typed by hand', () => {
  const published = [
    // docker-compose.yml's former fallback, "change-me-change-me-change-me-!!"
    '6368616e67652d6d652d6368616e67652d6d652d6368616e67652d6d652d2121',
    Buffer.from('change-me-change-me-change-me-!!').toString('base64'),
    // the development key, as base64 and as hex
    Buffer.from('herald-development-master-key-32').toString('base64'),
    Buffer.from('herald-development-master-key-32').toString('hex'),
  ];
  for (const HERALD_MASTER_KEY of published) {
    assert.throws(() => loadConfig({ NODE_ENV: 'production', HERALD_MASTER_KEY }), /HERALD_MASTER_KEY is a public placeholder.*openssl rand -hex 32/);
    // Outside production the same key is accepted (trying Herald out stays one command).
    assert.equal(loadConfig({ HERALD_MASTER_KEY }).masterKey.length, 32);
  }
  for (const HERALD_MASTER_KEY of ['0'.repeat(64), 'ab'.repeat(32), '0123'.repeat(16)]) {
    assert.throws(() => loadConfig({ NODE_ENV: 'production', HERALD_MASTER_KEY }), /HERALD_MASTER_KEY is not random/);
  }
});

test('the published demo password is the default outside production only', () => {
  assert.equal(loadConfig({}).demo.password, DEV_DEMO_PASSWORD);
  assert.equal(loadConfig({ HERALD_DEMO_PASSWORD: 'chosen-one' }).demo.password, 'chosen-one');
  const production = { NODE_ENV: 'production', HERALD_MASTER_KEY: randomBytes(32).toString('hex') };
  // Unset (or empty, as docker compose passes an unset variable): the seed generates one.
  assert.equal(loadConfig(production).demo.password, undefined);
  assert.equal(loadConfig({ ...production, HERALD_DEMO_PASSWORD: '' }).demo.password, undefined);
  assert.equal(loadConfig({ ...production, HERALD_DEMO_PASSWORD: 'chosen-one' }).demo.password, 'chosen-one');
  assert.throws(() => loadConfig({ ...production, HERALD_DEMO_PASSWORD: DEV_DEMO_PASSWORD }), /HERALD_DEMO_PASSWORD is the published default/);
});

test('transports can be switched off, never all of them', () => {
  assert.deepEqual([...loadConfig({}).transports], ['ws', 'sse', 'poll']);
  assert.deepEqual([...loadConfig({ HERALD_TRANSPORTS: 'sse, poll' }).transports], ['sse', 'poll']);
  assert.throws(() => loadConfig({ HERALD_TRANSPORTS: 'ws,carrier-pigeon' }), /HERALD_TRANSPORTS/);
  assert.throws(() => loadConfig({ HERALD_TRANSPORTS: '' }), /HERALD_TRANSPORTS/);
});

test('REDIS_CLUSTER_NODES selects cluster mode; empty or unset is a single Redis', () => {
  assert.equal(loadConfig({}).redisClusterNodes, undefined);
  assert.equal(loadConfig({ REDIS_CLUSTER_NODES: ' ' }).redisClusterNodes, undefined);
  assert.deepEqual(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, redis-b:7001,[::1]:7002' }).redisClusterNodes, [
    { host: '127.0.0.1', port: 7000 },
    { host: 'redis-b', port: 7001 },
    { host: '::1', port: 7002 },
  ]);
  assert.throws(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1' }), /REDIS_CLUSTER_NODES: expected host:port/);
  assert.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis://a:1' }), /REDIS_CLUSTER_NODES/);
  assert.throws(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:70000' }), /REDIS_CLUSTER_NODES/);
});

test('HERALD_REDIS_WAIT_REPLICAS defaults to 0', () => {
  assert.equal(loadConfig({}).redisWaitReplicas, 0);
  assert.equal(loadConfig({ HERALD_REDIS_WAIT_REPLICAS: '1' }).redisWaitReplicas, 1);
  assert.throws(() => loadConfig({ HERALD_REDIS_WAIT_REPLICAS: '-1' }), /HERALD_REDIS_WAIT_REPLICAS/);
  assert.equal(loadConfig({}).redisWaitTimeoutMs, 1_000);
  assert.equal(loadConfig({ HERALD_REDIS_WAIT_TIMEOUT_MS: '250' }).redisWaitTimeoutMs, 250);
  assert.throws(() => loadConfig({ HERALD_REDIS_WAIT_TIMEOUT_MS: '0' }), /HERALD_REDIS_WAIT_TIMEOUT_MS/, 'WAIT 0 would block forever');
});

test('HERALD_REDIS_SHARDS defaults to 8 and refuses 0 or a fraction', () => {
  assert.equal(loadConfig({}).redisShards, 8);
  assert.equal(loadConfig({ HERALD_REDIS_SHARDS: '3' }).redisShards, 3);
  assert.throws(() => loadConfig({ HERALD_REDIS_SHARDS: '0' }), /HERALD_REDIS_SHARDS/);
  assert.throws(() => loadConfig({ HERALD_REDIS_SHARDS: '1.5' }), /HERALD_REDIS_SHARDS/);
});

test('HERALD_QUEUE_SHARDS defaults to 8, from 1 to 64', () => {
  assert.equal(loadConfig({}).queueShards, 8);
  assert.equal(loadConfig({ HERALD_QUEUE_SHARDS: '1' }).queueShards, 1);
  assert.throws(() => loadConfig({ HERALD_QUEUE_SHARDS: '0' }), /HERALD_QUEUE_SHARDS/);
  assert.throws(() => loadConfig({ HERALD_QUEUE_SHARDS: '65' }), /HERALD_QUEUE_SHARDS/);
});

test('HERALD_TRUST_PROXY: addresses and CIDR ranges, IPv4 and IPv6; unset or empty trusts none; a bad entry stops the boot', () => {
  assert.deepEqual(loadConfig({}).trustProxy, []);
  assert.deepEqual(loadConfig({ HERALD_TRUST_PROXY: '' }).trustProxy, []);
  assert.deepEqual(loadConfig({ HERALD_TRUST_PROXY: ' 127.0.0.1, 10.0.0.0/8,::1 ,fd00::/8' }).trustProxy, [
    { address: '127.0.0.1', prefix: 32, family: 'ipv4' },
    { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
    { address: '::1', prefix: 128, family: 'ipv6' },
    { address: 'fd00::', prefix: 8, family: 'ipv6' },
  ]);
  for (const bad of ['localhost', 'true', '1', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/-1', '::1/129', '1.2.3', '1.2.3.4:80', 'fe80::1%eth0', '127.0.0.1,bogus']) {
    assert.throws(() => loadConfig({ HERALD_TRUST_PROXY: bad }), /HERALD_TRUST_PROXY: ".*" is not an IP address or CIDR range/, bad);
  }
});
