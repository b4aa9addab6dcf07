import type { HeraldConfig } from '@herald/config';
import { AppLimits, AttemptLimits, ChannelLog, ChannelOccupancy, LuaScript, MqttSessions, MqttWildcardMarks, PresenceStore, RedisKeys, type RedisClient } from '@herald/bus';
import { DeliveryGate } from '@herald/webhooks';

/** One script call as made by Herald's code: its keys, and Redis's error if it refused it. */
export interface ScriptCall {
  name: string;
  keys: string[];
  error?: string;
}

/** Records every LuaScript call (name, keys, outcome) until `restore`. */
export function recordScriptCalls(): { calls: ScriptCall[]; restore(): void } {
  const calls: ScriptCall[] = [];
  const run = LuaScript.prototype.run;
  LuaScript.prototype.run = async function <T>(this: LuaScript, r: RedisClient, keys: string[], args: Array<string | number>): Promise<T> {
    const call: ScriptCall = { name: this.name, keys };
    calls.push(call);
    try {
      return (await run.call(this, r, keys, args)) as T;
    } catch (e) {
      call.error = (e as Error).message;
      throw e;
    }
  };
  return { calls, restore: () => void (LuaScript.prototype.run = run) };
}

const caps = { maxConnections: 100, maxPublishesPerSecond: 1000, maxMessagesPerDay: null };
const window = { historySize: 100, historyTtlMs: 60_000 };

/**
 * Runs every Lua script through the code that calls it in production, for `appId` on `channel` (a
 * presence channel, so presence scripts run on it too) and `other`. Each step runs even when an earlier
 * one failed; returns the failures.
 */
export async function exerciseEveryScript(redis: RedisClient, keys: RedisKeys, config: HeraldConfig, appId: string, channel: string, other: string): Promise<Error[]> {
  const log = new ChannelLog(redis, keys);
  const limits = new AppLimits(redis, keys);
  const attempts = new AttemptLimits(redis, keys);
  const occupancy = new ChannelOccupancy(redis, keys, { ...config, occupancyLingerMs: 0 });
  const presence = new PresenceStore(redis, keys);
  const gate = new DeliveryGate(redis, keys, { appConcurrency: 2, slotLeaseMs: 10_000, deferMs: 100, circuitFailures: 3, circuitCooldownMs: 1_000 });
  const now = Date.now();
  const steps: Array<() => Promise<unknown>> = [
    // A publish: the app's charge, then the channel's accept (two steps, two slots).
    () => limits.chargePublish(appId, caps, now),
    () => log.accept(appId, channel, 'm1', '{"data":1', window, 60_000, now),
    async () => {
      const results = await log.acceptMany(appId, [{ channel, messageId: 'm2', frameHead: '{"data":2' }, { channel: other, messageId: 'm3', frameHead: '{"data":3' }], window, 60_000, now);
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    },
    // An app with MQTT wildcard subscribers (cluster mode): its accepts also PUBLISH on the app's classic
    // wildcard channel, a channel name and no key (a log of its own: the first's cache says unmarked).
    () => new MqttWildcardMarks(redis, keys).hold([appId], 'gateway-1', 10_000, now),
    () => new ChannelLog(redis, keys).accept(appId, channel, 'm4', '{"data":4', window, 60_000, now),
    () => log.recover(appId, channel, { offset: 0, epoch: 'x' }, window),
    () => log.drainLegacy(appId, channel, window),
    () => limits.admitConnectionNow(appId, 'c1', caps, 10_000),
    () => limits.admitMany(appId, ['c2', 'c3'], caps, 10_000),
    () => attempts.hitAddress('login', '192.0.2.1', { max: 10, windowMs: 60_000 }),
    // Occupancy never throws (a lease heals a failed call): its outcome is in the recorded calls.
    async () => {
      occupancy.hold(appId, channel);
      await occupancy.settled();
      occupancy.release(appId, channel);
      await occupancy.settled();
    },
    () => presence.join(appId, channel, { connId: 'c1', userId: 'u1', leaseMs: 10_000, now }),
    () => presence.hereNow(appId, channel, 100, now),
    () => new MqttSessions(redis, keys).save(appId, 'client-1', 'conn-1', { subscriptions: {} }, 60),
    // A minute later c1's lease has lapsed: the sweep finds the channel in the presence index.
    () => presence.sweep(now + 60_000),
    () => occupancy.sweep(now + 60_000),
    () => presence.join(appId, channel, { connId: 'c2', userId: 'u2', leaseMs: 10_000, now }),
    () => presence.leave(appId, channel, { connId: 'c2', userId: 'u2', now }),
    () => gate.enter(appId, 'wh1', 't1'),
    () => gate.leave(appId, 'wh1', 't1', true),
  ];
  const failures: Error[] = [];
  for (const step of steps) await step().catch((e: Error) => failures.push(e));
  return failures;
}
