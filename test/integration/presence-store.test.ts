import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@herald/config';
import { HeraldError } from '@herald/protocol';
import { PresenceStore, RedisKeys, type RedisClient, assertUserId, parsePresenceData, type PresenceFrame } from '@herald/bus';
import { FanoutListener, dropRedisPrefix, publishFanout, testRedisClient, uniquePrefix, waitFor } from '@herald/testing';

// The presence store on the real Redis. Each test gets its own key prefix: sweep is global to a
// prefix, so a sweep far in the future in one test must not expire another test's members.
// `npm test -- --redis-cluster` runs it on a cluster: the clients and key names follow the environment.
const CONFIG = loadConfig(process.env);
const LEASE = 1_000;
let redis: RedisClient;
const connections: RedisClient[] = [];
const listeners: FanoutListener[] = [];
const prefixes: string[] = [];

before(() => {
  redis = testRedisClient();
  connections.push(redis);
});

after(async () => {
  for (const p of prefixes) await dropRedisPrefix(CONFIG, p);
  for (const c of connections) c.disconnect();
  for (const l of listeners) l.close();
});

function freshStore(conn = redis): PresenceStore {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  return new PresenceStore(conn, RedisKeys.of({ ...CONFIG, redisPrefix: prefix }));
}

/** Counts what is published on a channel's fan-out channel (sharded on a cluster), with a raw subscriber. */
async function listen(store: PresenceStore, appId: string, channel: string) {
  const sub = new FanoutListener();
  listeners.push(sub);
  const fanout = store.keys.channel(appId, channel).fanout;
  await sub.listen(fanout);
  const parsed = () => sub.frames(fanout).map((text) => JSON.parse(text) as PresenceFrame | { type: 'marker' });
  const markers = () => parsed().filter((f) => f.type === 'marker').length;
  return {
    /** Everything published before this call has arrived: pub/sub keeps order, so wait for a marker behind it. */
    async settle(): Promise<PresenceFrame[]> {
      const want = markers() + 1;
      await publishFanout(redis, fanout, '{"type":"marker"}');
      await waitFor(() => markers() >= want, { what: 'marker' });
      return parsed().filter((f): f is PresenceFrame => f.type !== 'marker');
    },
  };
}

test('join and leave each publish exactly one event, in GoEasy’s shape', async () => {
  const store = freshStore();
  const l = await listen(store, 'app_a', 'room');
  const now = Date.now();
  const data = { name: 'Ann', avatar: 'a.png' };
  const j = await store.join('app_a', 'room', { connId: 'c1', userId: 'ann', data, leaseMs: LEASE, now });
  assert.deepEqual([j.joined, j.amount], [true, 1]);
  const again = await store.join('app_a', 'room', { connId: 'c1', userId: 'ann', data, leaseMs: LEASE, now });
  assert.deepEqual([again.joined, again.amount], [false, 1]);
  const left = await store.leave('app_a', 'room', { connId: 'c1', userId: 'ann', now: now + 1 });
  assert.deepEqual([left.left, left.amount], [true, 0]);
  const twice = await store.leave('app_a', 'room', { connId: 'c1', userId: 'ann', now: now + 2 });
  assert.deepEqual([twice.left, twice.amount], [false, 0]);

  const frames = await l.settle();
  assert.deepEqual(frames, [
    { type: 'presence', channel: 'room', action: 'join', member: { id: 'ann', data }, time: now, amount: 1 },
    { type: 'presence', channel: 'room', action: 'leave', member: { id: 'ann', data }, time: now + 1, amount: 0 },
  ]);
  assert.deepEqual(j.events, [frames[0]]);
  assert.deepEqual(left.events, [frames[1]]);
  // An empty channel leaves nothing behind, not even in the sweep index.
  const k = store.keys.channel('app_a', 'room');
  // One EXISTS per key: the index is another slot than the channel's on a cluster.
  const remaining = await Promise.all([k.presenceConns, k.presenceUsers, k.presenceCount, store.keys.presenceIndex('app_a', 'room')].map((key) => redis.exists(key)));
  assert.deepEqual(remaining, [0, 0, 0, 0]);
});

test('a user with several connections joins on the first and leaves after the last', async () => {
  const store = freshStore();
  const l = await listen(store, 'app_a', 'room');
  const now = Date.now();
  const a = await store.join('app_a', 'room', { connId: 'tab1', userId: 'bob', leaseMs: LEASE, now });
  const b = await store.join('app_a', 'room', { connId: 'tab2', userId: 'bob', leaseMs: LEASE, now });
  const c = await store.join('app_a', 'room', { connId: 'x', userId: 'cat', leaseMs: LEASE, now });
  assert.deepEqual([a.joined, b.joined, c.joined, c.amount], [true, false, true, 2]);
  const first = await store.leave('app_a', 'room', { connId: 'tab1', userId: 'bob', now });
  assert.deepEqual([first.left, first.amount], [false, 2]);
  assert.equal((await store.hereNow('app_a', 'room', 10, now)).amount, 2);
  const last = await store.leave('app_a', 'room', { connId: 'tab2', userId: 'bob', now });
  assert.deepEqual([last.left, last.amount], [true, 1]);
  const frames = await l.settle();
  assert.deepEqual(frames.map((f) => `${f.action}:${f.member.id}:${f.amount}`), ['join:bob:1', 'join:cat:2', 'leave:bob:1']);
  assert.deepEqual(frames[0].member.data, {});
});

test('lapsed leases are swept: one timeout per user, and the member is gone', async () => {
  const store = freshStore();
  const l = await listen(store, 'app_a', 'room');
  const t = Date.now();
  await store.join('app_a', 'room', { connId: 'd1', userId: 'dead', data: { n: 1 }, leaseMs: 1_000, now: t });
  await store.join('app_a', 'room', { connId: 'd2', userId: 'dead', data: { n: 2 }, leaseMs: 1_000, now: t });
  await store.join('app_a', 'room', { connId: 'a1', userId: 'alive', leaseMs: 10_000, now: t });
  assert.deepEqual(await store.sweep(t + 500, 100), []);
  const swept = await store.sweep(t + 1_500, 100);
  assert.deepEqual(swept, [
    { appId: 'app_a', frame: { type: 'presence', channel: 'room', action: 'timeout', member: { id: 'dead', data: { n: 1 } }, time: t + 1_500, amount: 1 } },
  ]);
  assert.deepEqual(await store.sweep(t + 1_600, 100), []);
  const here = await store.hereNow('app_a', 'room', 10, t + 1_600);
  assert.deepEqual(here, { amount: 1, members: [{ id: 'alive', data: {} }] });
  // A late leave of a swept connection changes nothing and announces nothing.
  assert.deepEqual((await store.leave('app_a', 'room', { connId: 'd1', userId: 'dead', now: t + 1_700 })).left, false);
  const frames = await l.settle();
  assert.deepEqual(frames.map((f) => `${f.action}:${f.member.id}`), ['join:dead', 'join:alive', 'timeout:dead']);

  await store.sweep(t + 20_000, 100);
  assert.equal(await redis.zcard(store.keys.presenceIndex('app_a', 'room')), 0);
});

test('any call on the channel expires lapsed connections first: a rejoin after a lapse is a new join', async () => {
  const store = freshStore();
  const t = Date.now();
  await store.join('app_a', 'room', { connId: 'old', userId: 'eve', leaseMs: 1_000, now: t });
  const back = await store.join('app_a', 'room', { connId: 'new', userId: 'eve', leaseMs: 1_000, now: t + 5_000 });
  assert.deepEqual(back.events.map((f) => `${f.action}:${f.amount}`), ['timeout:0', 'join:1']);
  assert.deepEqual([back.joined, back.amount], [true, 1]);
});

test('two sweepers at once still produce exactly one timeout per user', async () => {
  const a = freshStore();
  const other = testRedisClient();
  connections.push(other);
  const b = new PresenceStore(other, a.keys);
  const channels = ['r1', 'r2', 'r3'];
  const listeners = await Promise.all(channels.map((ch) => listen(a, 'app_s', ch)));
  const t = Date.now();
  for (const ch of channels) {
    for (let u = 0; u < 20; u++) {
      await a.join('app_s', ch, { connId: `c${u}`, userId: `u${u}`, leaseMs: 1_000, now: t });
      if (u % 3 === 0) await a.join('app_s', ch, { connId: `c${u}b`, userId: `u${u}`, leaseMs: 1_000, now: t });
    }
  }
  const results = await Promise.all([a.sweep(t + 2_000, 100), b.sweep(t + 2_000, 100), a.sweep(t + 2_000, 1), b.sweep(t + 2_000, 2)]);
  assert.equal(results.flat().length, 60);
  for (const l of listeners) {
    const frames = (await l.settle()).filter((f) => f.action === 'timeout');
    assert.equal(frames.length, 20);
    assert.equal(new Set(frames.map((f) => f.member.id)).size, 20);
    assert.deepEqual(frames.map((f) => f.amount), Array.from({ length: 20 }, (_, i) => 19 - i));
  }
});

test('renew keeps a member alive past its original lease, and reports connections already gone', async () => {
  const store = freshStore();
  const t = Date.now();
  await store.join('app_a', 'room', { connId: 'c1', userId: 'ann', leaseMs: 1_000, now: t });
  await store.join('app_a', 'other', { connId: 'c1', userId: 'ann', leaseMs: 1_000, now: t });
  const entries = [
    { appId: 'app_a', channel: 'room', connId: 'c1', userId: 'ann' },
    { appId: 'app_a', channel: 'other', connId: 'c1', userId: 'ann' },
    { appId: 'app_a', channel: 'room', connId: 'never', userId: 'ann' },
  ];
  assert.deepEqual(await store.renew(entries, 1_000, t + 800), [entries[2]]);
  // A delayed renewal carrying an older time never shortens the lease.
  await store.renew(entries.slice(0, 1), 1_000, t + 100);
  assert.deepEqual(await store.sweep(t + 1_500, 100), []);
  assert.equal((await store.hereNow('app_a', 'room', 10, t + 1_500)).amount, 1);
  const swept = await store.sweep(t + 1_900, 100);
  assert.deepEqual(swept.map((s) => s.frame.channel).sort(), ['other', 'room']);
  // Once swept, a renewal does not resurrect it: the gateway is told to join again.
  assert.deepEqual(await store.renew(entries.slice(0, 2), 1_000, t + 2_000), entries.slice(0, 2));
  assert.equal((await store.hereNow('app_a', 'room', 10, t + 2_000)).amount, 0);
  assert.deepEqual(await store.renew([], 1_000), []);
});

test('hereNow counts users, not connections, and honours the limit', async () => {
  const store = freshStore();
  const now = Date.now();
  for (let u = 0; u < 5; u++) await store.join('app_a', 'room', { connId: `c${u}`, userId: `user-${u}`, data: { u }, leaseMs: LEASE, now });
  await store.join('app_a', 'room', { connId: 'c0-phone', userId: 'user-0', data: { u: 'ignored' }, leaseMs: LEASE, now });
  const all = await store.hereNow('app_a', 'room', 100, now);
  assert.equal(all.amount, 5);
  // The data of a user's first live connection stays, as announced by its join event.
  assert.deepEqual(all.members.sort((x, y) => x.id.localeCompare(y.id)), Array.from({ length: 5 }, (_, u) => ({ id: `user-${u}`, data: { u } })));
  const two = await store.hereNow('app_a', 'room', 2, now);
  assert.deepEqual([two.amount, two.members.length], [5, 2]);
  assert.deepEqual(await store.hereNow('app_a', 'empty', 10, now), { amount: 0, members: [] });
  await assert.rejects(store.hereNow('app_a', 'room', 0, now), HeraldError);
});

test('tenants are isolated: the same channel name in two apps has two member lists', async () => {
  const store = freshStore();
  const lb = await listen(store, 'app_b', 'shared');
  const now = Date.now();
  await store.join('app_a', 'shared', { connId: 'c1', userId: 'ann', leaseMs: LEASE, now });
  assert.equal((await store.hereNow('app_a', 'shared', 10, now)).amount, 1);
  assert.equal((await store.hereNow('app_b', 'shared', 10, now)).amount, 0);
  assert.equal((await store.leave('app_b', 'shared', { connId: 'c1', userId: 'ann', now })).left, false);
  assert.equal((await store.hereNow('app_a', 'shared', 10, now)).amount, 1);
  assert.deepEqual(await lb.settle(), []);
});

test('bad user ids, connection ids and data are refused, and nothing is stored', async () => {
  const store = freshStore();
  const isInvalid = (e: unknown) => e instanceof HeraldError && e.reason === 'invalid_request';
  for (const id of ['', 'a|b', 'a b', 'x'.repeat(61), 'quote"', 'back\\slash', 'é', 42, undefined]) {
    assert.throws(() => assertUserId(id), isInvalid, String(id));
    await assert.rejects(store.join('app_a', 'room', { connId: 'c', userId: id as string, leaseMs: LEASE }), isInvalid);
  }
  assert.equal(assertUserId('user.name@example.com'), 'user.name@example.com');
  assert.equal(assertUserId('x'.repeat(60)), 'x'.repeat(60));

  for (const data of [[1], 'not json', '[1]', 42, true, { big: 'x'.repeat(300) }, { n: 1n }]) {
    assert.throws(() => parsePresenceData(data), isInvalid, String(data));
    await assert.rejects(store.join('app_a', 'room', { connId: 'c', userId: 'ann', data, leaseMs: LEASE }), isInvalid);
  }
  assert.deepEqual(parsePresenceData(undefined), {});
  assert.deepEqual(parsePresenceData(null), {});
  assert.deepEqual(parsePresenceData('{"a":1}'), { a: 1 });
  assert.deepEqual(parsePresenceData({ a: 1, skip: undefined }), { a: 1 });
  // 300 bytes of UTF-8, not 300 characters: 140 two-byte characters plus 8 bytes of JSON fit, 150 do not.
  assert.deepEqual(parsePresenceData({ n: 'é'.repeat(140) }), { n: 'é'.repeat(140) });
  assert.throws(() => parsePresenceData({ n: 'é'.repeat(150) }), isInvalid);

  await assert.rejects(store.join('app_a', 'room', { connId: '', userId: 'ann', leaseMs: LEASE }), isInvalid);
  await assert.rejects(store.join('app_a', 'room', { connId: 'c', userId: 'ann', leaseMs: 0 }), isInvalid);
  await assert.rejects(store.join('app_a', 'bad channel', { connId: 'c', userId: 'ann', leaseMs: LEASE }), (e: unknown) => e instanceof HeraldError && e.reason === 'invalid_channel');
  assert.equal((await store.hereNow('app_a', 'room', 10)).amount, 0);
});
