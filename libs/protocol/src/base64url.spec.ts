import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';

test('base64url: the same text as Node\'s Buffer for any string, and back', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
      const encoded = encodeBase64Url(text);
      assert.equal(encoded, Buffer.from(text, 'utf8').toString('base64url'));
      assert.equal(decodeBase64Url(encoded), text);
    }),
  );
});

test('base64url: a character outside the alphabet or an impossible length is refused', () => {
  for (const bad of ['a+b', 'ab/c', 'abc=', 'a b', 'é', 'abcde']) assert.throws(() => decodeBase64Url(bad), RangeError, bad);
});
