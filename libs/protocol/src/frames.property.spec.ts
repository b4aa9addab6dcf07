import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeClientFrame } from './frames.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { HeraldError } from './errors.js';
import { isValidChannel } from './channel.js';

/** Whatever a client sends, the parser answers a frame or a typed HeraldError — never anything else. */
function decodesOrRefuses(text: string): void {
  try {
    decodeClientFrame(text);
  } catch (e) {
    assert.ok(e instanceof HeraldError, `untyped ${String(e)} for ${JSON.stringify(text).slice(0, 200)}`);
  }
}

const anyJson = fc.jsonValue({ maxDepth: 4 });
const frameLike = fc.record(
  {
    type: fc.constantFrom('subscribe', 'unsubscribe', 'publish', 'ping', 'pong', 'history', 'herenow', 'presence_subscribe', 'nope'),
    id: fc.oneof(fc.integer(), fc.string(), anyJson),
    channel: fc.oneof(fc.string(), anyJson),
    channels: fc.oneof(fc.array(fc.oneof(fc.string(), anyJson)), anyJson),
    offset: fc.oneof(fc.integer(), fc.string(), anyJson),
    epoch: fc.oneof(fc.string(), anyJson),
    message: anyJson,
    messageId: fc.oneof(fc.string(), anyJson),
    accessToken: fc.oneof(fc.string(), anyJson),
    limit: fc.oneof(fc.integer(), fc.string(), anyJson),
    since: fc.oneof(fc.integer(), fc.string(), anyJson),
    presence: fc.oneof(fc.boolean(), anyJson),
  },
  { requiredKeys: [] },
);

test('the frame parser: arbitrary text gives a frame or a typed error', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), decodesOrRefuses), { numRuns: 2000 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), decodesOrRefuses), { numRuns: 1000 });
});

test('the frame parser: arbitrary JSON and frame-shaped objects give a frame or a typed error', () => {
  fc.assert(fc.property(anyJson, (v) => decodesOrRefuses(JSON.stringify(v) ?? 'null')), { numRuns: 2000 });
  fc.assert(fc.property(frameLike, (v) => decodesOrRefuses(JSON.stringify(v))), { numRuns: 3000 });
});

test('decoded frames only carry valid channel names', () => {
  fc.assert(
    fc.property(frameLike, (v) => {
      try {
        const f = decodeClientFrame(JSON.stringify(v)) as unknown as { channel?: string; channels?: Array<string | { channel: string }> };
        if (f.channel !== undefined) assert.ok(isValidChannel(f.channel));
        for (const c of f.channels ?? []) assert.ok(isValidChannel(typeof c === 'string' ? c : c.channel));
      } catch (e) {
        assert.ok(e instanceof HeraldError);
      }
    }),
    { numRuns: 3000 },
  );
});

test('channel rules: a total predicate that agrees with the documented alphabet and length', () => {
  const allowed = /^[A-Za-z0-9_\-=@,.;:!/]{1,164}$/;
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => isValidChannel(s) === allowed.test(s)), { numRuns: 5000 });
  const validChar = fc.constantFrom(...'ABCxyz019_-=@,.;:!'.split(''));
  fc.assert(fc.property(fc.string({ unit: validChar, minLength: 1, maxLength: 164 }), (s) => isValidChannel(s)), { numRuns: 2000 });
});

test('cursors: round trip for valid positions; anything else is a typed refusal', () => {
  const channel = fc.string({ unit: fc.constantFrom(...'abcXYZ09_-.:'.split('')), minLength: 1, maxLength: 20 });
  const epoch = fc.string({ unit: fc.constantFrom(...'abcXYZ0189'.split('')), minLength: 1, maxLength: 10 });
  fc.assert(
    fc.property(fc.dictionary(channel, fc.record({ epoch, offset: fc.nat() })), (d) => {
      const decoded = decodeCursor(encodeCursor(Object.entries(d)));
      const plain = (e: Iterable<[string, { epoch: string; offset: number }]>) => [...e].map(([c, p]) => [c, p.epoch, p.offset]).sort();
      assert.deepEqual(plain(decoded), plain(Object.entries(d)));
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      for (const text of [s, `v1.${s}`, `v1.${Buffer.from(s).toString('base64url')}`]) {
        try {
          decodeCursor(text);
        } catch (e) {
          assert.ok(e instanceof HeraldError && e.reason === 'invalid_position');
        }
      }
    }),
    { numRuns: 2000 },
  );
});
