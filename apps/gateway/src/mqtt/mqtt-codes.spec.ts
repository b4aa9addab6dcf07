import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_CODES } from '@herald/protocol';
import { mqtt311ConnackCode, mqtt5Code } from './mqtt-codes.js';

test("Herald's reasons map to MQTT 5 codes valid for the packet that carries them", () => {
  assert.equal(mqtt5Code('session_taken_over: another connection with this client id took the session', 'disconnect', CLOSE_CODES.invalid_request), 0x8e);
  assert.equal(mqtt5Code('protocol_error: unexpected CONNECT', 'disconnect'), 0x82);
  assert.equal(mqtt5Code('malformed_packet: bad length', 'disconnect'), 0x81);
  assert.equal(mqtt5Code('too_many_members', 'suback'), 0x97);
  assert.equal(mqtt5Code('too_many_channels', 'suback'), 0x97);
  assert.equal(mqtt5Code('payload_too_large', 'puback'), 0x83, 'PUBACK has no packet-too-large code');
  assert.equal(mqtt5Code('invalid_request', 'disconnect'), 0x83, '0x85 is CONNACK-only');
  assert.equal(mqtt5Code('something new', 'suback'), 0x80);
  assert.equal(mqtt311ConnackCode('invalid_key'), 4);
  assert.equal(mqtt311ConnackCode('too_many_members'), 3);
});
