import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { HeraldError } from '@herald/protocol';
import { checkChannels, checkSubscription } from './subscription-input.js';

const keys = () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
};
const resolveTo = (addresses: string[]) => async () => addresses;

async function reasonOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return e instanceof HeraldError ? e.reason : `not a HeraldError: ${String(e)}`;
  }
  return undefined;
}

test('a browser subscription passes: https to a public host; keys normalised to unpadded base64url', async () => {
  const k = keys();
  const padded = { p256dh: `${k.p256dh}=`, auth: Buffer.from(k.auth, 'base64url').toString('base64url') + '==' };
  const s = await checkSubscription({ endpoint: 'https://push.example.com/send/abc', keys: padded }, false, resolveTo(['93.184.216.34']));
  assert.deepEqual(s, { endpoint: 'https://push.example.com/send/abc', p256dh: k.p256dh, auth: k.auth });
});

test('SSRF rule: http, private, loopback and mixed answers are push_endpoint_private unless allowed', async () => {
  const k = keys();
  const check = (endpoint: string, addresses: string[], allow = false) => reasonOf(checkSubscription({ endpoint, keys: k }, allow, resolveTo(addresses)));
  assert.equal(await check('http://push.example.com/x', ['93.184.216.34']), 'push_endpoint_private');
  assert.equal(await check('https://internal.example/x', ['10.0.0.7']), 'push_endpoint_private');
  assert.equal(await check('https://rebind.example/x', ['93.184.216.34', '127.0.0.1']), 'push_endpoint_private');
  assert.equal(await check('https://[::ffff:7f00:1]/x', []), 'push_endpoint_private');
  assert.equal(await check('https://169.254.169.254/latest', []), 'push_endpoint_private');
  assert.equal(await reasonOf(checkSubscription({ endpoint: 'https://nowhere.invalid/x', keys: k }, false, async () => Promise.reject(new Error('ENOTFOUND')))), 'invalid_push_subscription');
  assert.equal(await check('http://127.0.0.1:9999/x', [], true), undefined, 'allowed with HERALD_WEBHOOKS_ALLOW_PRIVATE=true');
});

test('keys: a 65-byte point on P-256 and a 16-byte auth secret', async () => {
  const k = keys();
  const endpoint = 'http://127.0.0.1/x';
  const bad = (keysValue: unknown) => reasonOf(checkSubscription({ endpoint, keys: keysValue }, true));
  const compressed = Buffer.concat([Buffer.from([2]), randomBytes(32)]).toString('base64url');
  assert.equal(await bad({ ...k, p256dh: compressed }), 'invalid_push_subscription');
  assert.equal(await bad({ ...k, p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64)]).toString('base64url') }), 'invalid_push_subscription');
  assert.equal(await bad({ ...k, auth: randomBytes(32).toString('base64url') }), 'invalid_push_subscription');
  assert.equal(await bad({ p256dh: k.p256dh }), 'invalid_push_subscription');
  assert.equal(await bad(null), 'invalid_push_subscription');
});

test('channels: a non-empty list of valid names, duplicates dropped, at most the plan allows', () => {
  assert.deepEqual(checkChannels(['a', 'b', 'a'], 10), ['a', 'b']);
  assert.throws(() => checkChannels([], 10), { reason: 'invalid_channel' });
  assert.throws(() => checkChannels(['a b'], 10), { reason: 'invalid_channel' });
  assert.throws(() => checkChannels(['a', 'b', 'c'], 2), { reason: 'invalid_push_subscription' });
});
