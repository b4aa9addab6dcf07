import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertChannel, assertMessageId, isPrivateChannel, isValidChannel } from './channel.js';
import { HeraldError } from './errors.js';

test('channel names: every allowed character, 1 to 164 of them', () => {
  assert.ok(isValidChannel('a'));
  assert.ok(isValidChannel('AZaz09_-=@,.;:!/'));
  assert.ok(isValidChannel('devices/42/telemetry'), 'an MQTT topic is a channel');
  assert.ok(isValidChannel('x'.repeat(164)));
  assert.ok(isValidChannel('private-room'));
});

test('channel names: refused when empty, too long, or with any other character', () => {
  for (const bad of ['', 'x'.repeat(165), 'a b', 'a/+/b', 'a/#', 'a|b', 'a*', '..%2F', 'é', 'а' /* Cyrillic */, '__proto__\n', 'a\u0000', 42, null, undefined, {}]) {
    assert.equal(isValidChannel(bad), false, `accepted ${JSON.stringify(bad)}`);
    assert.throws(() => assertChannel(bad), (e: unknown) => e instanceof HeraldError && e.reason === 'invalid_channel');
  }
});

test('private prefixes are configurable', () => {
  assert.ok(isPrivateChannel('private-x'));
  assert.equal(isPrivateChannel('public-x'), false);
  assert.ok(isPrivateChannel('secret-x', ['secret-']));
});

test('message ids: bounded safe alphabet, since they name idempotency keys and jobs', () => {
  assert.equal(assertMessageId('order-42_v1.2~x'), 'order-42_v1.2~x');
  for (const bad of ['', 'a:b', 'a b', 'x'.repeat(65), 7, null]) {
    assert.throws(() => assertMessageId(bad), (e: unknown) => e instanceof HeraldError && e.reason === 'invalid_message_id');
  }
});
