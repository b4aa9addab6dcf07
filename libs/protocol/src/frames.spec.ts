import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameError, decodeClientFrame, encodeFrame, MAX_CHANNELS_PER_FRAME } from './frames.js';
import { HeraldError, type Reason } from './errors.js';
import { CLOSE_CODES, closeCodeFor, isTerminalClose } from './close-codes.js';

function reasonOf(text: string): Reason | undefined {
  try {
    decodeClientFrame(text);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof HeraldError, `not a HeraldError: ${String(e)}`);
    return e.reason;
  }
}

test('subscribe: one channel, many channels, with and without positions', () => {
  assert.deepEqual(decodeClientFrame('{"type":"subscribe","id":1,"channel":"a"}'), { type: 'subscribe', id: 1, channels: [{ channel: 'a' }] });
  assert.deepEqual(decodeClientFrame('{"type":"subscribe","channel":"a","offset":5,"epoch":"E1"}'), {
    type: 'subscribe',
    id: undefined,
    channels: [{ channel: 'a', since: { offset: 5, epoch: 'E1' } }],
  });
  const many = decodeClientFrame('{"type":"subscribe","id":"x","channels":["a",{"channel":"b","offset":"7","epoch":"E"}]}');
  assert.deepEqual(many, { type: 'subscribe', id: 'x', channels: [{ channel: 'a' }, { channel: 'b', since: { offset: 7, epoch: 'E' } }] });
});

test('publish, unsubscribe, ping, pong', () => {
  assert.deepEqual(decodeClientFrame('{"type":"publish","id":2,"channel":"a","message":{"x":1},"messageId":"m1"}'), {
    type: 'publish',
    id: 2,
    channel: 'a',
    message: { x: 1 },
    messageId: 'm1',
    accessToken: undefined,
  });
  const withToken = decodeClientFrame('{"type":"publish","channel":"private-a","message":1,"accessToken":"h.p.s"}');
  assert.equal(withToken.type === 'publish' && withToken.accessToken, 'h.p.s');
  assert.deepEqual(decodeClientFrame('{"type":"unsubscribe","channels":["a","b"]}'), { type: 'unsubscribe', id: undefined, channels: ['a', 'b'] });
  assert.deepEqual(decodeClientFrame('{"type":"ping","id":3}'), { type: 'ping', id: 3 });
  assert.deepEqual(decodeClientFrame('{"type":"pong"}'), { type: 'pong' });
});

test('bad frames give typed reasons', () => {
  assert.equal(reasonOf('not json'), 'invalid_json');
  assert.equal(reasonOf('[]'), 'invalid_frame');
  assert.equal(reasonOf('{"type":"nope"}'), 'invalid_frame');
  assert.equal(reasonOf('{"type":"subscribe"}'), 'invalid_frame');
  assert.equal(reasonOf('{"type":"subscribe","channel":"a b"}'), 'invalid_channel');
  assert.equal(reasonOf('{"type":"subscribe","channel":"a","offset":-1,"epoch":"E"}'), 'invalid_position');
  assert.equal(reasonOf('{"type":"subscribe","channel":"a","offset":1}'), 'invalid_position');
  assert.equal(reasonOf('{"type":"subscribe","channel":"a","offset":1,"epoch":"../x"}'), 'invalid_position');
  assert.equal(reasonOf('{"type":"publish","channel":"a"}'), 'invalid_message');
  assert.equal(reasonOf('{"type":"publish","channel":"a","message":1,"messageId":"a:b"}'), 'invalid_message_id');
  assert.equal(reasonOf('{"type":"ping","id":{"x":1}}'), 'invalid_frame');
  assert.equal(reasonOf('{"type":"subscribe","channel":"a","accessToken":42}'), 'invalid_frame');
  assert.equal(reasonOf('{"type":"history","channel":"a","limit":0}'), 'invalid_request');
  assert.equal(reasonOf('{"type":"history","channel":"a","since":-1}'), 'invalid_position');
  const tooMany = JSON.stringify({ type: 'subscribe', channels: Array.from({ length: MAX_CHANNELS_PER_FRAME + 1 }, (_, i) => `c${i}`) });
  assert.equal(reasonOf(tooMany), 'too_many_channels');
});

test('server frames encode as JSON with their type first', () => {
  assert.equal(encodeFrame({ type: 'pong', id: 1 }), '{"type":"pong","id":1}');
  const err = new HeraldError('invalid_channel').toBody();
  assert.deepEqual(JSON.parse(encodeFrame({ type: 'error', id: 2, ...err })), { type: 'error', id: 2, code: 400, content: 'Invalid channel name', reason: 'invalid_channel' });
});

test('close codes: 44xx terminal, 45xx reconnect, reasons mapped', () => {
  assert.equal(closeCodeFor('invalid_key'), 4401);
  assert.equal(closeCodeFor('key_revoked'), 4402);
  assert.equal(closeCodeFor('origin_not_allowed'), 4403);
  assert.ok(isTerminalClose(closeCodeFor('invalid_key')));
  assert.equal(isTerminalClose(CLOSE_CODES.server_shutdown), false);
  assert.equal(isTerminalClose(CLOSE_CODES.heartbeat_timeout), false);
});

test('a refused frame keeps its request id, so the error frame answers it', () => {
  try {
    decodeClientFrame('{"type":"subscribe","id":9,"channel":"a b"}');
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof FrameError);
    assert.equal(e.requestId, 9);
    assert.equal(e.reason, 'invalid_channel');
  }
});
