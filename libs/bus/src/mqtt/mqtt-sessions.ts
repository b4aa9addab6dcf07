import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis.js';
import { LuaScript } from '../lua-script.js';
import type { RedisKeys } from '../redis-keys.js';

/** One subscription of a persistent MQTT session: its granted QoS and the last position the client has. */
export interface MqttSubscriptionState {
  qos: 0 | 1;
  offset: number;
  epoch: string;
}

/** What an MQTT client with a persistent session finds again when it comes back, on any gateway. */
export interface MqttSessionState {
  subscriptions: Record<string, MqttSubscriptionState>;
  /** Wildcard topic filters and their granted QoS: live only, they have no position to resume from. */
  filters?: Record<string, 0 | 1>;
}

/** An MQTT client id as it appears in keys and notices (client ids are any UTF-8 text). */
export const mqttClientDigest = (clientId: string) => createHash('sha256').update(clientId, 'utf8').digest('hex').slice(0, 40);
const digest = mqttClientDigest;

/**
 * Saves a session only while the connection that claimed it still owns it: a connection that ended
 * after the same client came back (or started clean) must not write its older state over the new one.
 * KEYS: the session. ARGV: owner, value (JSON with `owner`), TTL seconds. Returns 1 when saved.
 */
const SAVE_IF_OWNER = new LuaScript(
  'mqtt-session-save',
  `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if cjson.decode(v).owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`,
  1,
);

/**
 * Persistent MQTT sessions (`cleanSession=false`, or `cleanStart=false` with an expiry) in Redis: one
 * JSON value per app and client id, expiring with the session. Positions are where the client stands in
 * each channel's log; the channel's history replays what it missed.
 */
export class MqttSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async load(appId: string, clientId: string): Promise<MqttSessionState | null> {
    const text = await this.redis.get(this.keys.mqttSession(appId, digest(clientId)));
    if (!text) return null;
    try {
      const state = JSON.parse(text) as MqttSessionState;
      if (typeof state?.subscriptions !== 'object' || state.subscriptions === null) return null;
      const filters = typeof state.filters === 'object' && state.filters !== null ? state.filters : {};
      return { subscriptions: state.subscriptions, filters };
    } catch {
      return null; // a value we cannot read is a session we do not have
    }
  }

  /** A connection takes the session over (at CONNECT): from now on only its saves count. */
  async claim(appId: string, clientId: string, owner: string, state: MqttSessionState, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.mqttSession(appId, digest(clientId)), JSON.stringify({ owner, ...state }), 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  /** Saves the owner's state; false when another connection (or a clean session) took the client id since. */
  async save(appId: string, clientId: string, owner: string, state: MqttSessionState, ttlSeconds: number): Promise<boolean> {
    const saved = await SAVE_IF_OWNER.run<number>(this.redis, [this.keys.mqttSession(appId, digest(clientId))], [owner, JSON.stringify({ owner, ...state }), Math.max(1, Math.ceil(ttlSeconds))]);
    return saved === 1;
  }

  async drop(appId: string, clientId: string): Promise<void> {
    await this.redis.del(this.keys.mqttSession(appId, digest(clientId)));
  }
}
