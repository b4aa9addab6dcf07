import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pusherHmac } from '@herald/auth';
import { WsClient, createTenant, startStack, waitFor, type Stack } from '@herald/testing';
import { RawPusher, connected, disconnectAll, pusherJs, serverLibrary, type PusherClient } from './pusher-clients.js';

// Pusher's presence channels on Herald's presence: pusher-js on two gateways and Herald's own WebSocket.
// Herald's member cap is lowered to 2 to test it (no other test here needs more).
let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 2, workers: 0, env: { HERALD_MAX_PRESENCE_MEMBERS: '2' } });
});
after(async () => {
  disconnectAll();
  await stack.stop();
});

interface Member {
  id: string;
  info: unknown;
}
type PresenceChannel = ReturnType<PusherClient['subscribe']> & { members: { count: number; me: Member; each(f: (m: Member) => void): void } };

/** A pusher-js presence subscription that records member_added / member_removed as `+id` / `-id`. */
async function join(p: PusherClient, channel: string): Promise<{ ch: PresenceChannel; log: string[] }> {
  await connected(p);
  const ch = p.subscribe(channel) as PresenceChannel;
  const log: string[] = [];
  ch.bind('pusher:member_added', (m: Member) => log.push(`+${m.id}`));
  ch.bind('pusher:member_removed', (m: Member) => log.push(`-${m.id}`));
  await waitFor(() => ch.subscribed, { what: `subscribed to ${channel}` });
  return { ch, log };
}

const ids = (ch: PresenceChannel) => {
  const out: string[] = [];
  ch.members.each((m) => out.push(m.id));
  return out.sort();
};

test('pusher-js presence across gateways: members on subscribe, added on a first connection, removed on the last, never to the causing socket', async () => {
  const t = await createTenant(stack.apiUrl);
  const ann = await join(pusherJs(stack, t, { gateway: 0, user: { user_id: 'ann', user_info: { name: 'Ann' } } }), 'presence-room');
  assert.equal(ann.ch.members.count, 1);
  assert.deepEqual(ann.ch.members.me, { id: 'ann', info: { name: 'Ann' } });

  const bobClient = pusherJs(stack, t, { gateway: 1, user: { user_id: 42, user_info: { name: 'Bob' } } });
  const bob = await join(bobClient, 'presence-room');
  assert.deepEqual(ids(bob.ch), ['42', 'ann'], 'a numeric user_id becomes a string');
  await waitFor(() => ann.log.length === 1, { what: 'ann sees bob' });

  // Ann's second connection (other gateway) is no new member: nobody is told, and it sees both.
  const annPhone = pusherJs(stack, t, { gateway: 1, user: { user_id: 'ann', user_info: { name: 'Ann' } } });
  const phone = await join(annPhone, 'presence-room');
  assert.deepEqual(ids(phone.ch), ['42', 'ann']);
  assert.equal(phone.ch.members.count, 2);

  bobClient.disconnect(); // Bob's last connection: removed, seen by both of Ann's sockets
  await waitFor(() => ann.log.length === 2 && phone.log.length === 1, { what: 'bob removed' });
  annPhone.disconnect(); // Ann still has a connection: no removal anywhere
  const lastBob = pusherJs(stack, t, { gateway: 0, user: { user_id: 42 } });
  const bob2 = await join(lastBob, 'presence-room');
  assert.deepEqual(ids(bob2.ch), ['42', 'ann'], "Ann's phone left, Ann stays");
  await waitFor(() => ann.log.length === 3, { what: 'bob back' });
  assert.deepEqual(ann.log, ['+42', '-42', '+42'], 'Ann never heard about herself');
  assert.deepEqual(phone.log, ['-42']);
  assert.deepEqual(bob.log, [], 'Bob was told of nobody: Ann was there before him');
  assert.deepEqual(bob2.log, []);
});

test("one presence for both worlds: a pusher-js member is in Herald's hereNow and a Herald member in pusher-js's members", async () => {
  const t = await createTenant(stack.apiUrl);
  const p = await join(pusherJs(stack, t, { user: { user_id: 'pam', user_info: { via: 'pusher' } } }), 'presence-mixed');
  const herald = await WsClient.connect(stack.wsUrl(1), t.commonKey, { query: { id: 'hal', data: JSON.stringify({ via: 'herald' }) } });
  assert.equal((await herald.request({ type: 'subscribe', channel: 'presence-mixed', presence: true })).type, 'subscribed');
  await waitFor(() => p.log.length === 1, { what: 'pusher-js sees the Herald member' });
  assert.deepEqual(p.ch.members.count, 2);
  const here = (await herald.request({ type: 'herenow', channel: 'presence-mixed' })).result as { amount: number; members: Array<{ id: string; data: unknown }> };
  assert.equal(here.amount, 2);
  assert.deepEqual(here.members.find((m) => m.id === 'pam')?.data, { via: 'pusher' });
  let info: unknown;
  p.ch.members.each((m) => m.id === 'hal' && (info = m.info));
  assert.deepEqual(info, { via: 'herald' });
  herald.close();
  await waitFor(() => p.log.length === 2, { what: 'the Herald member removed' });
  assert.deepEqual(p.log, ['+hal', '-hal']);
});

test('raw frames: subscription_succeeded carries ids/hash/count; bad channel_data → 400, forged or foreign auth → 401; nothing joined', async () => {
  const t = await createTenant(stack.apiUrl);
  const server = serverLibrary(stack, t);
  const c = RawPusher.open(stack.gateways[0].url, t.commonKey);
  const socketId = await c.socketId();
  const channel = 'presence-raw';
  const channelData = '{"user_id":7,"user_info":{"n":1}}';
  c.send('pusher:subscribe', { channel, auth: server.authorizeChannel(socketId, channel, JSON.parse(channelData) as { user_id: string }).auth, channel_data: channelData });
  const ok = await c.next('pusher_internal:subscription_succeeded', channel);
  assert.deepEqual(JSON.parse(ok.data), { presence: { ids: ['7'], hash: { '7': { n: 1 } }, count: 1 } });

  const bad = RawPusher.open(stack.gateways[1].url, t.commonKey);
  const badId = await bad.socketId();
  // Signed exactly as sent, with the app's own key and secret: only the content is wrong.
  const signed = (ch: string, channelData: string) => ({ channel: ch, auth: `${t.commonKey}:${pusherHmac(t.secret, `${badId}:${ch}:${channelData}`)}`, channel_data: channelData });
  const malformed = ['not json', '[]', '{}', '{"user_id":"has space"}', '{"user_id":true}', `{"user_id":"u","user_info":{"big":"${'x'.repeat(400)}"}}`, '{"user_id":"u","user_info":"text"}'];
  for (const [i, channelData] of malformed.entries()) {
    bad.send('pusher:subscribe', signed(`presence-bad${i}`, channelData));
    const err = JSON.parse((await bad.next('pusher:subscription_error', `presence-bad${i}`)).data) as { status: number };
    assert.equal(err.status, 400, `channel_data ${channelData.slice(0, 40)}`);
  }
  // A signature over other channel_data (a user claiming to be someone else), and one by another app's secret.
  bad.send('pusher:subscribe', { ...signed(channel, '{"user_id":"bob"}'), channel_data: '{"user_id":"intruder"}' });
  assert.equal((JSON.parse((await bad.next('pusher:subscription_error', channel)).data) as { status: number }).status, 401);
  const other = await createTenant(stack.apiUrl);
  const foreign = serverLibrary(stack, other).authorizeChannel(badId, 'presence-raw2', { user_id: 'intruder' });
  bad.send('pusher:subscribe', { channel: 'presence-raw2', auth: `${t.commonKey}:${foreign.auth.split(':')[1]}`, channel_data: foreign.channel_data });
  assert.equal((JSON.parse((await bad.next('pusher:subscription_error', 'presence-raw2')).data) as { status: number }).status, 401);

  // Nobody joined: the member count is still 1 and the raw socket heard of no one.
  const herald = await WsClient.connect(stack.wsUrl(0), t.commonKey);
  const here = (await herald.request({ type: 'herenow', channel })).result as { amount: number };
  assert.equal(here.amount, 1);
  assert.equal(c.events.filter((e) => e.event.startsWith('pusher_internal:member')).length, 0);

  // Tenant isolation: the same channel name in another app is another presence.
  const o = RawPusher.open(stack.gateways[0].url, other.commonKey);
  const oid = await o.socketId();
  o.send('pusher:subscribe', { channel, ...serverLibrary(stack, other).authorizeChannel(oid, channel, { user_id: 'zed' }) });
  assert.deepEqual(JSON.parse((await o.next('pusher_internal:subscription_succeeded', channel)).data), { presence: { ids: ['zed'], hash: { zed: {} }, count: 1 } });
  // Unsubscribing leaves: the other socket of the first app never saw zed, and 7's channel is empty after.
  c.send('pusher:unsubscribe', { channel });
  await waitFor(async () => ((await herald.request({ type: 'herenow', channel })).result as { amount: number }).amount === 0, { what: 'left on unsubscribe' });
  assert.equal(c.events.filter((e) => e.event.startsWith('pusher_internal:member')).length, 0);
  for (const s of [c, bad, o]) s.close();
  herald.close();
});

test("Herald's member cap applies: a third user is refused (429), another connection of a member is not", async () => {
  const t = await createTenant(stack.apiUrl);
  const server = serverLibrary(stack, t);
  const join = async (userId: string) => {
    const c = RawPusher.open(stack.gateways[0].url, t.commonKey);
    const id = await c.socketId();
    c.send('pusher:subscribe', { channel: 'presence-full', ...server.authorizeChannel(id, 'presence-full', { user_id: userId }) });
    await waitFor(() => c.events.some((e) => e.channel === 'presence-full'), { what: `an answer for ${userId}` });
    return c;
  };
  const sockets = [await join('a'), await join('b'), await join('c'), await join('a')];
  const answers = sockets.map((c) => c.events.find((e) => e.channel === 'presence-full')!);
  assert.deepEqual(answers.map((e) => e.event), ['pusher_internal:subscription_succeeded', 'pusher_internal:subscription_succeeded', 'pusher:subscription_error', 'pusher_internal:subscription_succeeded']);
  assert.equal((JSON.parse(answers[2].data) as { status: number }).status, 429);
  assert.equal((JSON.parse(answers[3].data) as { presence: { count: number } }).presence.count, 2);
  for (const c of sockets) c.close();
});
