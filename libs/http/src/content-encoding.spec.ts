import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseEncoding } from './content-encoding.js';

test('brotli when offered, gzip next, the plain bytes otherwise', () => {
  assert.equal(chooseEncoding('gzip, deflate, br, zstd'), 'br');
  assert.equal(chooseEncoding('gzip, deflate'), 'gzip');
  assert.equal(chooseEncoding('deflate'), 'identity');
  assert.equal(chooseEncoding(''), 'identity');
  assert.equal(chooseEncoding(undefined), 'identity');
});

test('q=0 refuses an encoding; * covers the ones not named', () => {
  assert.equal(chooseEncoding('br;q=0, gzip'), 'gzip');
  assert.equal(chooseEncoding('br;q=0, gzip;q=0'), 'identity');
  assert.equal(chooseEncoding('*'), 'br');
  assert.equal(chooseEncoding('*;q=0, gzip;q=0.5'), 'gzip');
  assert.equal(chooseEncoding('BR ; Q=0.8'), 'br');
  assert.equal(chooseEncoding('gzip;q=nonsense'), 'identity');
});

test('only the encodings a file has are chosen', () => {
  assert.equal(chooseEncoding('gzip, br', ['gzip']), 'gzip');
  assert.equal(chooseEncoding('br', ['gzip']), 'identity');
  assert.equal(chooseEncoding('gzip, br', []), 'identity');
});
