import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type HeraldConfig } from '@herald/config';
import { ChannelOccupancy, PresenceStore, RedisKeys, type RedisClient, parseEventEntry } from '@herald/bus';
import { dropRedisPrefix, testRedisClient, uniquePrefix } from '@herald/testing';

// Channel occupancy and the events stream on the real Redis: each test its own prefix.
// `npm test -- --redis-cluster` runs it on a cluster: the clients and key names follow the environment.
const CONFIG = loadConfig(process.env);
const connections: RedisClient[] = [];
const prefixes: string[] = [];
let redis: RedisClient;

before(() => {
  redis = testRedisClient();
  connections.push(redis);
});
after(async () => {
  for (const p of prefixes) await dropRedisPrefix(CONFIG, p);
  for (const c of connections) c.disconnect();
});

function setup(env: Record<string, string> = {}): { keys: RedisKeys; config: HeraldConfig; gateway: () => ChannelOccupancy } {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  const config = loadConfig({ ...process.env, HERALD_REDIS_PREFIX: prefix, HERALD_LOG_LEVEL: 'silent', HERALD_OCCUPANCY_LINGER_MS: '0', HERALD_OCCUPANCY_LEASE_MS: '1000', ...env });
  const keys = RedisKeys.of({ ...CONFIG, redisPrefix: prefix });
  // Each gateway its own connection, as in production: scripts from two processes race in Redis.
  const gateway = () => {
    const conn = testRedisClient();
    connections.push(conn);
    return new ChannelOccupancy(conn, keys, config);
  };
  return { keys, config, gateway };
}

/** Every shard of the events stream, entries in time order (one channel's are all in one shard). */
async function eventEntries(keys: RedisKeys): Promise<Array<[string, string[]]>> {
  const shards = await Promise.all(keys.allShards('events').map((k) => redis.xrange(k, '-', '+')));
  const at = (id: string) => id.split('-').map(Number);
  return shards.flat().sort(([a], [b]) => at(a)[0] - at(b)[0] || at(a)[1] - at(b)[1]);
}

async function events(keys: RedisKeys): Promise<Array<{ type: string; channel: string; data?: unknown }>> {
  const entries = await eventEntries(keys);
  return entries.map(([id, fields]) => parseEventEntry(id, fields)!).map((e) => ({ type: e.type, channel: e.channel, data: e.data }));
}

test('many gateways holding a channel at the same moment → one occupied; the last release anywhere → one vacated', async () => {
  const { keys, gateway } = setup();
  const gws = Array.from({ length: 8 }, gateway);
  for (let round = 0; round < 20; round++) {
    const ch = `c-${round}`;
    gws.forEach((g) => g.hold('app_1', ch));
    await Promise.all(gws.map((g) => g.settled()));
    for (const g of gws.slice(0, -1)) g.release('app_1', ch);
    await Promise.all(gws.map((g) => g.settled()));
    assert.deepEqual((await events(keys)).filter((e) => e.channel === ch).map((e) => e.type), ['channel.occupied'], ch);
    gws.at(-1)!.release('app_1', ch);
    await gws.at(-1)!.settled();
    assert.deepEqual((await events(keys)).filter((e) => e.channel === ch).map((e) => e.type), ['channel.occupied', 'channel.vacated'], ch);
    assert.equal(await gws[0].isOccupied('app_1', ch), false);
  }
  // Apps are separate: the same channel name in two apps is two channels.
  gws[0].hold('app_1', 'same');
  gws[1].hold('app_2', 'same');
  await Promise.all([gws[0].settled(), gws[1].settled()]);
  const occupied = (await eventEntries(keys)).map(([id, f]) => parseEventEntry(id, f)!).filter((e) => e.channel === 'same');
  assert.deepEqual(occupied.map((e) => e.appId).sort(), ['app_1', 'app_2']);
});

test('a crashed holder: its lease lapses, and the sweep (or the next holder) announces vacated exactly once', async () => {
  const { keys, gateway } = setup();
  const dead = gateway(); // never renews: its timer is not started
  const sweeper = gateway();
  dead.hold('app_1', 'a');
  dead.hold('app_1', 'b');
  await dead.settled();
  assert.equal(await sweeper.sweep(Date.now()), 0, 'nothing lapsed yet');
  const later = Date.now() + 1500;
  const [s1, s2] = await Promise.all([sweeper.sweep(later), gateway().sweep(later)]);
  assert.equal(s1 + s2, 2);
  assert.equal(await sweeper.sweep(later + 1000), 0);
  assert.deepEqual((await events(keys)).map((e) => `${e.type}:${e.channel}`).sort(), ['channel.occupied:a', 'channel.occupied:b', 'channel.vacated:a', 'channel.vacated:b']);
});

test('a renewed lease keeps the channel; a lingering release is cancelled by a new hold', async () => {
  const { keys, gateway } = setup({ HERALD_OCCUPANCY_LINGER_MS: '200', HERALD_OCCUPANCY_LEASE_MS: '300' });
  const g = gateway();
  g.onModuleInit();
  try {
    g.hold('app_1', 'kept');
    await g.settled();
    await new Promise((r) => setTimeout(r, 700)); // more than two leases: renewals must carry it
    assert.equal(await g.isOccupied('app_1', 'kept'), true);
    g.release('app_1', 'kept');
    g.hold('app_1', 'kept'); // re-poll within the linger
    await new Promise((r) => setTimeout(r, 300));
    await g.settled();
    assert.deepEqual((await events(keys)).map((e) => e.type), ['channel.occupied']);
    g.release('app_1', 'kept');
    await new Promise((r) => setTimeout(r, 300));
    await g.settled();
    assert.deepEqual((await events(keys)).map((e) => e.type), ['channel.occupied', 'channel.vacated']);
  } finally {
    await g.onApplicationShutdown();
  }
});

test('presence changes append member.joined / member.left to the events stream, once per change', async () => {
  const { keys } = setup();
  const store = new PresenceStore(redis, keys);
  await store.join('app_1', 'room', { connId: 'c1', userId: 'ann', data: { n: 1 }, leaseMs: 1000 });
  await store.join('app_1', 'room', { connId: 'c2', userId: 'ann', leaseMs: 1000 }); // same user: no event
  await store.leave('app_1', 'room', { connId: 'c1', userId: 'ann' });
  await store.leave('app_1', 'room', { connId: 'c2', userId: 'ann' });
  await store.join('app_1', 'room', { connId: 'c3', userId: 'bob', leaseMs: 100 });
  await store.sweep(Date.now() + 1000);
  const e = await events(keys);
  assert.deepEqual(e.map((x) => x.type), ['member.joined', 'member.left', 'member.joined', 'member.left']);
  assert.deepEqual(e[0].data, { id: 'ann', data: { n: 1 }, reason: 'join' });
  assert.deepEqual(e[3].data, { id: 'bob', data: {}, reason: 'timeout' });
});

test('occupied(): an app sees only its own held channels, with the sum of the live holders’ subscriber counts', async () => {
  const { gateway } = setup();
  const [a, b] = [gateway(), gateway()];
  a.hold('app_1', 'room');
  b.hold('app_1', 'room');
  a.hold('app_2', 'room');
  a.count('app_1', 'room', 2);
  b.count('app_1', 'room', 3);
  a.count('app_2', 'room', 7);
  await Promise.all([a.settled(), b.settled()]);
  const deadline = Date.now() + 3_000;
  let seen = await a.occupied('app_1');
  while (seen.channels[0]?.subscribers !== 5 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    seen = await a.occupied('app_1');
  }
  assert.deepEqual(seen, { total: 1, channels: [{ channel: 'room', subscribers: 5 }] });
  // A holder that leaves stops counting at once, even before its report is removed.
  b.release('app_1', 'room');
  await b.settled();
  assert.deepEqual((await a.occupied('app_1')).channels, [{ channel: 'room', subscribers: 2 }]);
  a.release('app_1', 'room');
  await a.settled();
  assert.deepEqual(await a.occupied('app_1'), { total: 0, channels: [] });
  assert.deepEqual((await a.occupied('app_2')).channels.map((c) => c.channel), ['room']);
  await Promise.all([a.onApplicationShutdown(), b.onApplicationShutdown()]);
});
