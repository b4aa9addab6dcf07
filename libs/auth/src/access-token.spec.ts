import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { MAX_TOKEN_TTL_S, signAccessToken, verifyAccessToken } from './access-token.js';

const now = 1_800_000_000_000;
const exp = now / 1000 + 600;

test('a token signed with the secret verifies and yields its claims', () => {
  const t = signAccessToken('s3cret', { channel: 'private-a', r: true, w: false, exp, id: 'ann' });
  const r = verifyAccessToken(t, ['other', 's3cret'], now);
  assert.ok(r.ok);
  assert.deepEqual(r.ok && r.claims, { channel: 'private-a', r: true, w: false, exp, id: 'ann' });
});

test('another secret, tampering, expiry, lifetime over 3 h, alg none: refused with a reason', () => {
  const t = signAccessToken('s3cret', { channel: 'private-a', r: true, w: true, exp });
  assert.deepEqual(verifyAccessToken(t, ['another-apps-secret'], now), { ok: false, problem: 'bad_signature' });
  const [h, , s] = t.split('.');
  const forged = Buffer.from(JSON.stringify({ channel: 'private-b', r: true, w: true, exp })).toString('base64url');
  assert.deepEqual(verifyAccessToken(`${h}.${forged}.${s}`, ['s3cret'], now), { ok: false, problem: 'bad_signature' });
  assert.deepEqual(verifyAccessToken(t, ['s3cret'], (exp + 61) * 1000), { ok: false, problem: 'expired' });
  const long = signAccessToken('s3cret', { channel: 'c', r: true, w: true, exp: now / 1000 + MAX_TOKEN_TTL_S + 3600 });
  assert.deepEqual(verifyAccessToken(long, ['s3cret'], now), { ok: false, problem: 'too_long_lived' });
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${forged}.`;
  assert.deepEqual(verifyAccessToken(none, ['s3cret'], now), { ok: false, problem: 'malformed' });
  const hs512 = Buffer.from('{"alg":"HS512"}').toString('base64url');
  const sig = createHmac('sha256', 's3cret').update(`${hs512}.${forged}`).digest('base64url');
  assert.deepEqual(verifyAccessToken(`${hs512}.${forged}.${sig}`, ['s3cret'], now), { ok: false, problem: 'malformed' });
  for (const junk of ['', 'a.b', 'a.b.c', 'x'.repeat(5000), '..']) assert.equal(verifyAccessToken(junk, ['s3cret'], now).ok, false);
});
