import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_CODES } from '@herald/protocol';
import { pusherCodeFor } from './pusher-codes.js';

test("Herald's reasons and closes map to Pusher's codes, by range when not named", () => {
  assert.equal(pusherCodeFor('invalid_key'), 4001);
  assert.equal(pusherCodeFor('app_suspended: App suspended', CLOSE_CODES.app_suspended), 4003);
  assert.equal(pusherCodeFor('too_many_connections'), 4004);
  assert.equal(pusherCodeFor('key_revoked: App key revoked', CLOSE_CODES.key_revoked), 4009);
  assert.equal(pusherCodeFor('heartbeat timeout', CLOSE_CODES.heartbeat_timeout), 4201);
  assert.equal(pusherCodeFor('server shutting down', CLOSE_CODES.server_shutdown), 4200);
  assert.equal(pusherCodeFor('something new', 4499), 4009, 'an unnamed terminal refusal stays terminal');
  assert.equal(pusherCodeFor('something new', 4599), 4200, 'an unnamed reconnect stays a reconnect');
});
