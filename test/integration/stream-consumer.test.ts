import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, loadConfig, type HeraldConfig } from '@herald/config';
import { DeadLetters, RedisKeys, StreamGroupConsumer, createRedis, type StreamEntry, type RedisClient } from '@herald/bus';
import { dropRedisPrefix, uniquePrefix, waitFor } from '@herald/testing';

// The consumer loop every durable stream goes through, on the real Redis: a failing entry is isolated,
// retried a bounded number of times and parked; a failure of what the handler depends on is not
// counted against any entry.
let config: HeraldConfig;
let redis: RedisClient;
let keys: RedisKeys;
let deadLetters: DeadLetters;
const consumers: StreamGroupConsumer[] = [];
const connections: RedisClient[] = [];

before(() => {
  config = loadConfig({ ...process.env, HERALD_REDIS_PREFIX: uniquePrefix(), HERALD_LOG_LEVEL: 'silent' });
  redis = createRedis(config, 'command', 'test');
  keys = RedisKeys.of(config);
  deadLetters = new DeadLetters(redis, keys);
});

after(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  for (const r of [redis, ...connections]) r.disconnect();
  await dropRedisPrefix(config, config.redisPrefix);
});

class Transient extends Error {}

function consume(stream: string, handle: (entries: StreamEntry[]) => Promise<string[]>, maxAttempts = 3): StreamGroupConsumer {
  const connection = createRedis(config, 'subscriber', 'test');
  connections.push(connection);
  const c = new StreamGroupConsumer(connection, {
    stream,
    group: 'g',
    batch: 50,
    blockMs: 50,
    claimIdleMs: 60_000,
    handle,
    isTransient: (e) => e instanceof Transient,
    maxAttempts,
    retryMs: 20,
    deadLetters,
    logger: createLogger(config, 'test'),
  });
  consumers.push(c);
  return c;
}

const value = (e: StreamEntry) => e[1][1];

test('one failing entry in a batch: the others are handled at once, it is retried alone, then parked with its fields', async () => {
  const stream = `${keys.prefix}s1`;
  const handled: string[] = [];
  const tries = new Map<string, number>();
  const c = consume(stream, async (entries) => {
    for (const e of entries) tries.set(value(e), (tries.get(value(e)) ?? 0) + 1);
    if (entries.some((e) => value(e) === 'poison')) throw new Error('cannot store poison');
    handled.push(...entries.map(value));
    return entries.map(([id]) => id);
  });
  for (const v of ['a', 'b', 'poison', 'c', 'd']) await redis.xadd(stream, '*', 'v', v);
  await c.start();
  await waitFor(() => handled.length === 4, { what: 'the four good entries' });
  await redis.xadd(stream, '*', 'v', 'later');
  await waitFor(() => handled.includes('later'), { what: 'an entry after the poison' });
  // Parked in two steps (the dead letters and the stream may sit in different slots): listed, then acknowledged.
  await waitFor(async () => (await deadLetters.count()) === 1 && (await redis.xlen(stream)) === 0, { what: 'the poison parked' });
  assert.deepEqual(handled.slice(0, 4).sort(), ['a', 'b', 'c', 'd']);
  assert.equal(tries.get('poison'), 1 + 3, 'once in its batch, then three times alone');
  const [letter] = await deadLetters.list(10);
  assert.equal(letter.source, 's1');
  assert.equal(letter.attempts, 3);
  assert.equal(letter.error, 'cannot store poison');
  assert.deepEqual(letter.fields, { v: 'poison' });
  assert.equal(Number(((await redis.xpending(stream, 'g')) as [number])[0]), 0);
  assert.equal(await redis.xlen(stream), 0);
  assert.equal(await redis.exists(keys.deadAttempts(stream)), 0, 'attempt counts are cleared once parked');

  // Replayed after its cause is fixed, it is handled like any entry.
  handled.length = 0;
  await c.stop();
  const c2 = consume(stream, async (entries) => {
    handled.push(...entries.map(value));
    return entries.map(([id]) => id);
  });
  await c2.start();
  assert.equal(await deadLetters.replay(letter.id), true);
  await waitFor(() => handled.includes('poison'), { what: 'the replayed entry handled' });
  assert.equal(await deadLetters.count(), 0);
  assert.equal(await deadLetters.replay(letter.id), false);
});

test('a dependency outage is retried as a batch and parks nothing, however long it lasts', async () => {
  const stream = `${keys.prefix}s2`;
  let down = true;
  let failures = 0;
  const handled: string[] = [];
  const c = consume(stream, async (entries) => {
    if (down) {
      failures++;
      throw new Transient('connection refused');
    }
    handled.push(...entries.map(value));
    return entries.map(([id]) => id);
  }, 2);
  for (const v of ['x', 'y']) await redis.xadd(stream, '*', 'v', v);
  await c.start();
  await waitFor(() => failures >= 10, { what: 'many failed attempts while the store is down' });
  assert.equal(await redis.hlen(keys.deadAttempts(stream)), 0, 'no entry was charged for the outage');
  down = false;
  await waitFor(() => handled.length === 2, { what: 'entries handled once the store is back' });
  assert.deepEqual(handled, ['x', 'y']);
  assert.equal(Number(((await redis.xpending(stream, 'g')) as [number])[0]), 0);
});

test('an entry that fails a few times and then succeeds is handled once, and its failure count is cleared', async () => {
  const stream = `${keys.prefix}s3`;
  let left = 2;
  const handled: string[] = [];
  const c = consume(stream, async (entries) => {
    if (entries.some((e) => value(e) === 'flaky') && left-- > 0) throw new Error('not yet');
    handled.push(...entries.map(value));
    return entries.map(([id]) => id);
  }, 5);
  await redis.xadd(stream, '*', 'v', 'flaky');
  await c.start();
  await waitFor(() => handled.includes('flaky'), { what: 'the flaky entry handled' });
  assert.deepEqual(handled, ['flaky']);
  await waitFor(async () => (await redis.exists(keys.deadAttempts(stream))) === 0, { what: 'failure count cleared' });
});
