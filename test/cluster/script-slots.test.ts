import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@herald/config';
import { RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { ROOT, dropRedisPrefix, keySlot, uniquePrefix } from '@herald/testing';
import { NEXT_SLICE, exerciseEveryScript, recordScriptCalls } from './script-exercise.js';

/*
 * The slot check: on a Redis Cluster a script may only touch keys of one slot (CROSSSLOT otherwise).
 * Every Lua script Herald defines is run here through the code that builds its KEYS (cluster-mode
 * RedisKeys, on the test Redis: only the key names matter), each call's keys are recorded and sorted
 * into slot families. A script must be single-slot unless NEXT_SLICE names it with exactly the families
 * it spans today: a new cross-slot key fails this test, and so does a fix that leaves NEXT_SLICE stale.
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

/** Names of every `new LuaScript('name', …)` in the libraries and apps, read from their sources. */
function definedScripts(): string[] {
  const names: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'node_modules') walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/new LuaScript\(\s*'([^']+)'/g)) names.push(m[1]);
      }
    }
  };
  for (const top of ['libs', 'apps']) walk(path.join(ROOT, top));
  return names.sort();
}

function family(key: string): string {
  const slot = keySlot(key);
  const families: Record<string, string> = { channel: `{${APP}|${CHANNEL}}`, 'other channel': `{${APP}|${OTHER}}`, app: `{${APP}}`, global: '{g}' };
  for (const [name, tag] of Object.entries(families)) if (keySlot(tag) === slot) return name;
  return `unknown (${key})`;
}

test('every Lua script keeps its keys in one slot, but those NEXT_SLICE names (with exactly the slot families they span)', async () => {
  assert.deepEqual(await exerciseEveryScript(redis, keys, config, APP, CHANNEL, OTHER), []);
  const calls = new Map<string, string[][]>();
  for (const c of recording.calls) calls.set(c.name, [...(calls.get(c.name) ?? []), c.keys]);
  assert.deepEqual([...calls.keys()].sort(), definedScripts(), 'every script Herald defines was run (add a new one to exerciseEveryScript)');
  const spans: Record<string, string[]> = {};
  for (const [name, keyLists] of calls) {
    spans[name] = [...new Set(keyLists.flatMap((ks) => ks.map(family)))].sort();
    const slots = new Set(keyLists.flatMap((ks) => ks.map(keySlot)));
    if (!NEXT_SLICE[name]) assert.equal(slots.size, 1, `${name} touches keys of ${slots.size} slots: ${keyLists.flat().join(', ')}`);
  }
  const crossing = Object.fromEntries(Object.entries(spans).filter(([, f]) => f.length > 1));
  assert.deepEqual(crossing, Object.fromEntries(Object.entries(NEXT_SLICE).map(([n, s]) => [n, s.families])));
});

test('a key of another slot added to a single-slot script is caught', () => {
  const single = [keys.webhookSlots(APP), keys.webhookCircuit(APP, 'wh1')];
  assert.equal(new Set(single.map(keySlot)).size, 1);
  assert.equal(new Set([...single, keys.events].map(keySlot)).size, 2);
  assert.equal(new Set([...single, keys.channel(APP, CHANNEL).meta].map(keySlot)).size, 2);
});
