import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { pusherHmac } from '@herald/auth';
import { createTenant, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';
import { RawPusher, connected, disconnectAll, pusherJs, serverLibrary, type PusherClient } from './pusher-clients.js';

// Pusher's user sign-in on the gateway, sendToUser and terminate_connections through the API, with
// pusher-js and the `pusher` server library, across two gateways.
let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 2, workers: 0 });
});
after(async () => {
  disconnectAll();
  await stack.stop();
});

/** pusher-js signed in as `id` (the app server's authenticateUser), recording what is sent to the user. */
async function signedIn(t: Tenant, id: string, gateway = 0): Promise<{ p: PusherClient; got: Array<[string, unknown]>; closes: number[] }> {
  const server = serverLibrary(stack, t);
  const p = pusherJs(stack, t, { gateway, signin: (socketId) => server.authenticateUser(socketId, { id, name: `user ${id}` }) });
  const got: Array<[string, unknown]> = [];
  const closes: number[] = [];
  p.user.bind_global((event: string, data: unknown) => got.push([event, data]));
  p.connection.bind('error', (e: { data?: { code?: number } }) => e.data?.code !== undefined && closes.push(e.data.code));
  await connected(p);
  p.signin();
  await waitFor(() => p.user.user_data?.id === id, { what: `${id} signed in` });
  // pusher-js subscribes to #server-to-user-{id} once signed in; events flow once that is acknowledged.
  await waitFor(() => p.user.serverToUserChannel?.subscribed === true, { what: `${id}'s user channel` });
  return { p, got, closes };
}

const statusOf = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (e) {
    return (e as { status: number }).status;
  }
};

test("sendToUser reaches every socket signed in as that user, on any gateway, and nobody else (nor another app's user of the same id)", async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const [alice1, alice2, bob, theirAlice] = [await signedIn(t, 'alice', 0), await signedIn(t, 'alice', 1), await signedIn(t, 'bob', 1), await signedIn(other, 'alice', 0)];
  assert.deepEqual(alice1.p.user.user_data, { id: 'alice', name: 'user alice' });
  const server = serverLibrary(stack, t);
  assert.equal((await server.sendToUser('alice', 'hello', { n: 1 })).status, 200);
  await server.sendToUser('bob', 'hi-bob', 'text');
  await serverLibrary(stack, other).sendToUser('alice', 'theirs', {});
  await waitFor(() => alice1.got.length === 1 && alice2.got.length === 1 && bob.got.length === 1 && theirAlice.got.length === 1, { what: 'deliveries' });
  assert.deepEqual(alice1.got, [['hello', { n: 1 }]]);
  assert.deepEqual(alice2.got, [['hello', { n: 1 }]]);
  assert.deepEqual(bob.got, [['hi-bob', 'text']]);
  assert.deepEqual(theirAlice.got, [['theirs', {}]]);
  // The user's channel is plumbing: Pusher's channel listing does not show it.
  const listed = (await (await server.get({ path: '/channels' })).json()) as { channels: object };
  assert.deepEqual(listed.channels, {});
  for (const c of [alice1, alice2, bob, theirAlice]) c.p.disconnect();
});

test('a bad sign-in closes the socket with 4009; a user channel is only for the socket signed in as that user', async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const good = serverLibrary(stack, t);
  const api = new URL(stack.apiUrl);
  const wrongSecret = new PusherServer({ appId: t.appId, key: t.commonKey, secret: 'not-the-secret', host: api.hostname, port: api.port, useTLS: false });
  const attempts: Array<[string, (socketId: string) => unknown]> = [
    ['wrong secret', (s) => wrongSecret.authenticateUser(s, { id: 'mallory' })],
    ["another app's key and secret", (s) => serverLibrary(stack, other).authenticateUser(s, { id: 'mallory' })],
    ['signed for another socket', () => good.authenticateUser('1.1', { id: 'mallory' })],
    ['user_data changed after signing', (s) => ({ ...good.authenticateUser(s, { id: 'mallory' }), user_data: '{"id":"alice"}' })],
    ['no id (signed by hand: the library refuses it)', (s) => ({ auth: `${t.commonKey}:${pusherHmac(t.secret, `${s}::user::{"name":"x"}`)}`, user_data: '{"name":"x"}' })],
    ['an id outside the alphabet', (s) => good.authenticateUser(s, { id: 'a|b c' })],
    ['not JSON', (s) => ({ auth: `${t.commonKey}:00`, user_data: `not json ${s}` })],
    ['no auth', () => ({ user_data: '{"id":"x"}' })],
  ];
  for (const [what, sign] of attempts) {
    const raw = RawPusher.open(stack.gateways[0].url, t.commonKey);
    raw.send('pusher:signin', sign(await raw.socketId()));
    assert.equal(await raw.closed(), 4009, what);
    const error = JSON.parse((await raw.next('pusher:error')).data) as { code: number; message: string };
    assert.equal(error.code, 4009, what);
    assert.equal(raw.events.some((e) => e.event === 'pusher:signin_success'), false, what);
  }

  // Not signed in, signed in as someone else, or by the internal name: refused, the socket stays.
  const raw = RawPusher.open(stack.gateways[0].url, t.commonKey);
  const socketId = await raw.socketId();
  raw.send('pusher:subscribe', { channel: '#server-to-user-bob' });
  await raw.next('pusher:subscription_error', '#server-to-user-bob');
  raw.send('pusher:signin', good.authenticateUser(socketId, { id: 'alice' }));
  assert.deepEqual(JSON.parse(JSON.parse((await raw.next('pusher:signin_success')).data).user_data), { id: 'alice' });
  raw.send('pusher:signin', good.authenticateUser(socketId, { id: 'bob' }));
  raw.send('pusher:subscribe', { channel: '#server-to-user-bob' });
  raw.send('pusher:subscribe', { channel: 'private-server-to-user!bob', auth: good.authorizeChannel(socketId, 'lobby').auth });
  raw.send('pusher:subscribe', { channel: '#server-to-user-alice' });
  await raw.next('pusher_internal:subscription_succeeded', '#server-to-user-alice');
  assert.deepEqual(
    raw.events.filter((e) => e.event === 'pusher:subscription_error').map((e) => e.channel),
    ['#server-to-user-bob', '#server-to-user-bob', 'private-server-to-user!bob'],
    "bob's before sign-in and after signing in as alice; the internal name whatever its auth",
  );
  await raw.next('pusher:error');
  assert.equal(raw.closeCode, undefined, 'a second sign-in is refused, the first stands');
  await good.sendToUser('bob', 'for-bob', {});
  await good.sendToUser('alice', 'for-alice', { x: 1 });
  const got = await raw.next('for-alice', '#server-to-user-alice');
  assert.deepEqual(JSON.parse(got.data), { x: 1 });
  assert.equal(raw.events.some((e) => e.event === 'for-bob'), false);
  raw.close();
});

test("terminate_connections closes every socket of that app's user (4009) on every gateway, nobody else's", async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const [alice1, alice2, bob, theirAlice] = [await signedIn(t, 'alice', 0), await signedIn(t, 'alice', 1), await signedIn(t, 'bob', 0), await signedIn(other, 'alice', 1)];
  const server = serverLibrary(stack, t);
  assert.equal((await server.terminateUserConnections('alice')).status, 200);
  await waitFor(() => alice1.closes.includes(4009) && alice2.closes.includes(4009), { what: "alice's sockets closed" });
  // pusher-js does not reconnect after 4009.
  await waitFor(() => alice1.p.connection.state !== 'connected' && alice2.p.connection.state !== 'connected', { what: 'alice disconnected' });
  // Bob and the other app's alice still receive.
  await server.sendToUser('bob', 'still-here', {});
  await serverLibrary(stack, other).sendToUser('alice', 'still-here', {});
  await waitFor(() => bob.got.length === 1 && theirAlice.got.length === 1, { what: 'the others still connected' });
  assert.equal(bob.p.connection.state, 'connected');
  assert.equal(theirAlice.p.connection.state, 'connected');

  // Hostile: a bad user id, other app's credentials on this app, an unknown app, a wrong secret.
  const api = new URL(stack.apiUrl);
  const lib = (o: { appId: string; key: string; secret: string }) => new PusherServer({ ...o, host: api.hostname, port: api.port, useTLS: false });
  assert.equal(await statusOf(server.post({ path: '/users/a%7Cb/terminate_connections', body: {} as unknown as string }) /* the library stringifies the body; its typings say string */), 400);
  assert.equal(await statusOf(lib({ appId: other.appId, key: t.commonKey, secret: t.secret }).terminateUserConnections('alice')), 401);
  assert.equal(await statusOf(lib({ appId: t.appId, key: t.commonKey, secret: 'wrong' }).terminateUserConnections('bob')), 401);
  assert.equal(await statusOf(lib({ appId: 'no-such-app', key: t.commonKey, secret: t.secret }).terminateUserConnections('bob')), 404);
  assert.equal(await statusOf(server.get({ path: '/users/bob/terminate_connections' })), 405);
  await server.sendToUser('bob', 'after', {});
  await waitFor(() => bob.got.length === 2, { what: 'bob still connected' });
  assert.equal(theirAlice.p.connection.state, 'connected');
  bob.p.disconnect();
  theirAlice.p.disconnect();
});
