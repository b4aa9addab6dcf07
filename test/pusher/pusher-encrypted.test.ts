import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type PusherServer from 'pusher';
import { WsClient, callOk, createTenant, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';
import { RawPusher, connected, disconnectAll, pusherJs, serverLibrary } from './pusher-clients.js';

// Pusher's end-to-end encrypted channels: the gateway checks the auth and relays the sealed payloads untouched.
let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 1, workers: 0 });
});
after(async () => {
  disconnectAll();
  await stack.stop();
});

/** The app's server library with an encryption master key, as a customer's server holds it (Herald never sees it). */
const sealingServer = (t: Tenant): PusherServer => serverLibrary(stack, t, { encryptionMasterKeyBase64: randomBytes(32).toString('base64') });

test('pusher-js decrypts what the server library sealed; the gateway, a raw socket and Herald only ever see ciphertext', async () => {
  const t = await createTenant(stack.apiUrl);
  await callOk(stack.apiUrl, 'PATCH', `/v1/apps/${t.appId}`, { token: t.token, json: { clientEvents: true } });
  const server = sealingServer(t);
  const channel = 'private-encrypted-vault';
  const p = pusherJs(stack, t, { authorize: (socketId, ch) => server.authorizeChannel(socketId, ch) });
  await connected(p);
  const vault = p.subscribe(channel);
  const opened: unknown[] = [];
  vault.bind('secret', (d: unknown) => opened.push(d));
  await waitFor(() => vault.subscribed, { what: 'encrypted channel subscribed' });

  const raw = RawPusher.open(stack.gateways[0].url, t.commonKey);
  const rawId = await raw.socketId();
  raw.send('pusher:subscribe', { channel, ...server.authorizeChannel(rawId, channel) });
  await raw.next('pusher_internal:subscription_succeeded', channel);
  const herald = await WsClient.connect(stack.wsUrl(0), t.secret);
  await herald.subscribe(channel);

  await server.trigger(channel, 'secret', { code: 'plaintext-1234' });
  await waitFor(() => opened.length === 1, { what: 'pusher-js decrypted it' });
  assert.deepEqual(opened, [{ code: 'plaintext-1234' }]);
  const sealed = await raw.next('secret', channel);
  const body = JSON.parse(sealed.data) as { nonce: string; ciphertext: string };
  assert.equal(typeof body.nonce, 'string');
  assert.equal(typeof body.ciphertext, 'string');
  assert.ok(!sealed.data.includes('plaintext-1234'), 'relayed sealed');
  const [m] = await herald.waitForMessages(1, channel);
  assert.equal(m.content, sealed.data, 'the channel log keeps the sealed payload as sent');

  // Client events are refused on encrypted channels even when the app enables them.
  raw.ws.send(JSON.stringify({ event: 'client-x', channel, data: {} }));
  const err = JSON.parse((await raw.next('pusher:error')).data) as { code: number | null; message: string };
  assert.equal(err.code, null);
  assert.match(err.message, /not encrypted/);
  raw.close();
  herald.close();
});

test('an encrypted channel needs a valid auth like a private one: forged → 401 AuthError, nothing received', async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const foreign = sealingServer(other);
  const c = RawPusher.open(stack.gateways[0].url, t.commonKey);
  const id = await c.socketId();
  const channel = 'private-encrypted-x';
  const a = foreign.authorizeChannel(id, channel);
  c.send('pusher:subscribe', { channel, auth: `${t.commonKey}:${a.auth.split(':')[1]}` });
  const err = JSON.parse((await c.next('pusher:subscription_error', channel)).data) as { status: number; type: string };
  assert.deepEqual([err.status, err.type], [401, 'AuthError']);
  await sealingServer(t).trigger(channel, 'secret', { n: 1 });
  c.send('pusher:subscribe', { channel: 'barrier' });
  await c.next('pusher_internal:subscription_succeeded', 'barrier');
  assert.equal(c.events.filter((e) => e.event === 'secret').length, 0);
  c.close();
});
