import { createHash } from 'node:crypto';
import type { RedisClient } from './redis.js';
import type { RedisKeys } from './redis-keys.js';

/** One subscription of a persistent MQTT session: its granted QoS and the last position the client has. */
export interface MqttSubscriptionState {
  qos: 0 | 1;
  offset: number;
  epoch: string;
}

/** What an MQTT client with a persistent session finds again when it comes back, on any gateway. */
export interface MqttSessionState {
  subscriptions: Record<string, MqttSubscriptionState>;
}

const digest = (clientId: string) => createHash('sha256').update(clientId, 'utf8').digest('hex').slice(0, 40);

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
      return typeof state?.subscriptions === 'object' && state.subscriptions !== null ? state : null;
    } catch {
      return null; // a value we cannot read is a session we do not have
    }
  }

  async save(appId: string, clientId: string, state: MqttSessionState, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.mqttSession(appId, digest(clientId)), JSON.stringify(state), 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async drop(appId: string, clientId: string): Promise<void> {
    await this.redis.del(this.keys.mqttSession(appId, digest(clientId)));
  }
}
