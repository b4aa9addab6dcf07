import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constantTimeEqual, generateKey, isKeyShape, keyDigest, kindOfKey } from './app-keys.js';
import { newEpoch, newId, randomBase62 } from './ids.js';
import { SecretBox } from './secret-box.js';
import { randomBytes } from 'node:crypto';

test('generated keys have their prefix, shape and enough entropy to never repeat', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const c = generateKey('common');
    const s = generateKey('subscribe');
    const x = generateKey('secret');
    assert.match(c, /^BC-[A-Za-z0-9]{32}$/);
    assert.match(s, /^BS-[A-Za-z0-9]{32}$/);
    assert.match(x, /^[0-9a-f]{32}$/);
    for (const k of [c, s, x]) {
      assert.ok(!seen.has(k));
      seen.add(k);
    }
    assert.equal(kindOfKey(c), 'common');
    assert.equal(kindOfKey(s), 'subscribe');
    assert.equal(kindOfKey(x), 'secret');
  }
});

test('kindOfKey refuses malformed keys', () => {
  for (const bad of ['', 'BC-', 'BC-short', 'BS-has space in it here', 'x'.repeat(65), 'BC-' + 'a'.repeat(70), '../etc/passwd']) {
    assert.equal(kindOfKey(bad), undefined, bad);
  }
  assert.ok(isKeyShape('common', 'BC-' + 'a'.repeat(32)));
});

test('digests are stable SHA-256 hex and differ per key', () => {
  assert.equal(keyDigest('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.notEqual(keyDigest(generateKey('common')), keyDigest(generateKey('common')));
});

test('constant-time comparison', () => {
  assert.ok(constantTimeEqual('abc', 'abc'));
  assert.equal(constantTimeEqual('abc', 'abd'), false);
  assert.equal(constantTimeEqual('abc', 'abcd'), false);
});

test('ids: base62, prefixed, unbiased alphabet', () => {
  assert.match(newId('app'), /^app_[0-9A-Za-z]{16}$/);
  assert.match(newEpoch(), /^[0-9A-Za-z]{10}$/);
  const counts = new Map<string, number>();
  for (const ch of randomBase62(62_000)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  assert.equal(counts.size, 62);
  for (const n of counts.values()) assert.ok(n > 700 && n < 1300, `skewed count ${n}`);
});

test('secret box: round trip, bound to the app, tamper-evident', () => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal('s3cret', 'app_1');
  assert.ok(!sealed.includes('s3cret'));
  assert.equal(box.open(sealed, 'app_1'), 's3cret');
  assert.throws(() => box.open(sealed, 'app_2'));
  const parts = sealed.split('.');
  parts[3] = Buffer.from('tampered').toString('base64url');
  assert.throws(() => box.open(parts.join('.'), 'app_1'));
  assert.throws(() => new SecretBox(randomBytes(31)));
  assert.throws(() => new SecretBox(randomBytes(32)).open(sealed, 'app_1'));
});
