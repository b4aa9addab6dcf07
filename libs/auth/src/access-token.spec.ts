import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { MAX_TOKEN_TTL_S, signAccessToken, verifyAccessToken } from './access-token.js';

const now = 1_800_000_000_000;
const exp = now / 1000 + 600;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

test('a token signed with the secret verifies and yields its claims', async () => {
  const t = await signAccessToken('s3cret', { channel: 'private-a', r: true, w: false, exp, id: 'ann' });
  const r = await verifyAccessToken(t, ['other', 's3cret'], now);
  assert.ok(r.ok);
  assert.deepEqual(r.ok && r.claims, { channel: 'private-a', r: true, w: false, exp, id: 'ann' });
});

test("a customer's own HS256 signer (any JWT library) makes tokens Herald accepts", async () => {
  const signed = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ channel: 'private-a', r: true, w: true, exp })}`;
  const t = `${signed}.${createHmac('sha256', 's3cret').update(signed).digest('base64url')}`;
  assert.deepEqual(await verifyAccessToken(t, ['s3cret'], now), { ok: true, claims: { channel: 'private-a', r: true, w: true, exp } });
});

test('another secret, tampering, expiry, lifetime over 3 h, alg none: refused with a reason', async () => {
  const t = await signAccessToken('s3cret', { channel: 'private-a', r: true, w: true, exp });
  assert.deepEqual(await verifyAccessToken(t, ['another-apps-secret'], now), { ok: false, problem: 'bad_signature' });
  const [h, , s] = t.split('.');
  const forged = b64({ channel: 'private-b', r: true, w: true, exp });
  assert.deepEqual(await verifyAccessToken(`${h}.${forged}.${s}`, ['s3cret'], now), { ok: false, problem: 'bad_signature' });
  assert.deepEqual(await verifyAccessToken(t, ['s3cret'], (exp + 61) * 1000), { ok: false, problem: 'expired' });
  assert.equal((await verifyAccessToken(t, ['s3cret'], (exp + 59) * 1000)).ok, true, 'within the clock skew');
  const long = await signAccessToken('s3cret', { channel: 'c', r: true, w: true, exp: now / 1000 + MAX_TOKEN_TTL_S + 3600 });
  assert.deepEqual(await verifyAccessToken(long, ['s3cret'], now), { ok: false, problem: 'too_long_lived' });
  const none = `${b64({ alg: 'none' })}.${forged}.`;
  assert.deepEqual(await verifyAccessToken(none, ['s3cret'], now), { ok: false, problem: 'malformed' });
  const hs512 = b64({ alg: 'HS512' });
  const sig = createHmac('sha256', 's3cret').update(`${hs512}.${forged}`).digest('base64url');
  assert.deepEqual(await verifyAccessToken(`${hs512}.${forged}.${sig}`, ['s3cret'], now), { ok: false, problem: 'malformed' });
  for (const junk of ['', 'a.b', 'a.b.c', 'x'.repeat(5000), '..']) assert.equal((await verifyAccessToken(junk, ['s3cret'], now)).ok, false);
});

test('claims Herald cannot use are malformed even when correctly signed', async () => {
  for (const claims of [{ r: true, exp }, { channel: 'c', r: 'yes', exp }, { channel: 'c' }, { channel: 'c', exp, id: 7 }]) {
    const signed = `${b64({ alg: 'HS256' })}.${b64(claims)}`;
    const t = `${signed}.${createHmac('sha256', 's3cret').update(signed).digest('base64url')}`;
    assert.deepEqual(await verifyAccessToken(t, ['s3cret'], now), { ok: false, problem: 'malformed' }, JSON.stringify(claims));
  }
});
