import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeraldError } from '@herald/protocol';
import { parseChannelData } from './pusher-presence.js';

test('channel_data: user_id string or integer (→ string), user_info an object or absent', () => {
  assert.deepEqual(parseChannelData('{"user_id":"ann","user_info":{"name":"Ann"}}'), { id: 'ann', data: { name: 'Ann' } });
  assert.deepEqual(parseChannelData('{"user_id":42}'), { id: '42', data: {} });
});

test('malformed channel_data is invalid_request (400) with a reason naming it', () => {
  const bad = ['', 'nope', 'null', '[1]', '{}', '{"user_id":1.5}', '{"user_id":"a b"}', '{"user_id":"x","user_info":[1]}', `{"user_id":"x","user_info":{"t":"${'x'.repeat(300)}"}}`];
  for (const text of bad) {
    assert.throws(
      () => parseChannelData(text),
      (e: unknown) => e instanceof HeraldError && e.reason === 'invalid_request' && e.code === 400 && /channel_data/.test(e.message),
      text,
    );
  }
});
