import { createRequire } from 'node:module';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisKeys } from './redis-keys.js';

// The slot ioredis and Redis give a key (CRC16 of its hash tag); the package ships no types.
const keySlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

test("a stream's failure counts sit in its slot on a cluster, whatever the stream's name", () => {
  const keys = new RedisKeys('herald:', true);
  // The consumer acknowledges an entry and clears its count in one MULTI: a cross-slot pair would be refused.
  for (const stream of [keys.shardKey('archive', 3), keys.legacy('events'), 'herald:plain-stream', 'herald:{unclosed']) {
    assert.equal(keySlot(keys.deadAttempts(stream)), keySlot(stream), stream);
  }
  // Herald's own streams keep their names.
  assert.equal(keys.deadAttempts(keys.shardKey('archive', 3)), '{herald:s:3}archive:attempts');
  assert.equal(keys.deadAttempts('herald:plain-stream'), '{herald:plain-stream}:attempts');
});

test('on one Redis the failure counts keep their names (no count is lost on upgrade)', () => {
  const keys = new RedisKeys('herald:', false);
  assert.equal(keys.deadAttempts('herald:archive'), 'herald:archive:attempts');
  assert.equal(keys.deadAttempts(keys.shardKey('events', 0)), '{herald:s:0}events:attempts');
});
