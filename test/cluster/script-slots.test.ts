import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@herald/config';
import { RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { ROOT, dropRedisPrefix, keySlot, uniquePrefix } from '@herald/testing';
import { exerciseEveryScript, recordScriptCalls } from './script-exercise.js';

/*
 * The slot check: on a Redis Cluster a script may only touch keys of one slot (CROSSSLOT otherwise).
 * Every Lua script Herald defines is run here through the code that builds its KEYS (cluster-mode
 * RedisKeys, on the test Redis: only the key names matter), each call's keys are recorded and sorted
 * by slot: every call of every script must touch keys of one slot only, so a new cross-slot key fails
 * this test before it fails on a cluster (CROSSSLOT).
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const APP = 'app1';
// A presence channel, so presence scripts run on it too.
const CHANNEL = 'presence-room-1';
const OTHER = 'room-2';
const prefix = uniquePrefix();
const keys = new RedisKeys(prefix, true);
const config = loadConfig({ ...process.env, HERALD_REDIS_PREFIX: prefix, HERALD_LOG_LEVEL: 'silent' });
let redis: RedisClient;

let recording: ReturnType<typeof recordScriptCalls>;
before(() => {
  redis = createRedis({ ...config, redisClusterNodes: undefined }, 'command', 'slot-check');
  recording = recordScriptCalls();
});
after(async () => {
  recording?.restore();
  redis?.disconnect();
  await dropRedisPrefix(REDIS_URL, prefix);
});

/** Names of every `new LuaScript('name', …)` (or `new FanoutScript(…)`, its two variants) in the libraries and apps, read from their sources. */
function definedScripts(): string[] {
  const names: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'node_modules') walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/new (?:LuaScript|FanoutScript)\(\s*'([^']+)'/g)) names.push(m[1]);
      }
    }
  };
  for (const top of ['libs', 'apps']) walk(path.join(ROOT, top));
  return names.sort();
}

test('every Lua script keeps the keys of each call in one slot', async () => {
  assert.deepEqual(await exerciseEveryScript(redis, keys, config, APP, CHANNEL, OTHER), []);
  const names = new Set(recording.calls.map((c) => c.name));
  assert.deepEqual([...names].sort(), definedScripts(), 'every script Herald defines was run (add a new one to exerciseEveryScript)');
  for (const c of recording.calls) {
    const slots = new Set(c.keys.map(keySlot));
    assert.equal(slots.size, 1, `${c.name} touches keys of ${slots.size} slots: ${c.keys.join(', ')}`);
  }
});

test('a key of another slot added to a single-slot script is caught', () => {
  const single = [keys.webhookSlots(APP), keys.webhookCircuit(APP, 'wh1')];
  assert.equal(new Set(single.map(keySlot)).size, 1);
  assert.equal(new Set([...single, keys.events(APP, CHANNEL)].map(keySlot)).size, 2);
  assert.equal(new Set([...single, keys.channel(APP, CHANNEL).meta].map(keySlot)).size, 2);
});
