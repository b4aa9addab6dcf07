import { z } from 'zod';
import { ms } from './common.js';

/** The gateway's transports (WebSocket, SSE, long-poll, MQTT, the Pusher protocol): timings, leases, sessions. */
export const transportEnv = z.object({
  HERALD_PING_INTERVAL_MS: ms(25_000),
  HERALD_PONG_TIMEOUT_MS: ms(10_000),
  HERALD_SSE_HEARTBEAT_MS: ms(15_000),
  HERALD_SSE_RETRY_MS: ms(2_000),
  HERALD_POLL_HOLD_MS: ms(25_000),
  /** A channel nobody holds stays subscribed this long (long-poll clients come back between polls). */
  HERALD_FANOUT_LINGER_MS: ms(5_000),
  HERALD_DRAIN_TIMEOUT_MS: ms(5_000),
  HERALD_PRESENCE_LEASE_MS: ms(30_000),
  /** MQTT persistent sessions: how long a 3.1.1 session (cleanSession=false) is kept, and the cap on a 5.0 client's expiry. */
  HERALD_MQTT_SESSION_TTL_S: z.coerce.number().int().min(1).default(86_400),
  HERALD_MQTT_SESSION_MAX_S: z.coerce.number().int().min(1).default(7 * 86_400),
  /** How often a persistent MQTT session's positions are saved while connected (a gateway that dies loses less). */
  HERALD_MQTT_CHECKPOINT_MS: ms(5_000),
  HERALD_HEADERS_TIMEOUT_MS: ms(10_000),
  /** Transports the gateway serves, e.g. "sse,poll" to test the SDK's fallback against the real server. */
  HERALD_TRANSPORTS: z
    .string()
    .default('ws,sse,poll')
    .transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['ws', 'sse', 'poll'])).min(1)),
  /** Gateways hold channels by lease (channel.occupied / vacated survive a crashed gateway). */
  HERALD_OCCUPANCY_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
  /** A channel stays occupied this long after its last local subscriber leaves (long-poll clients re-poll). */
  HERALD_OCCUPANCY_LINGER_MS: ms(5_000),
  /** Pusher HTTP API: how far `auth_timestamp` may be from now (Pusher's 600 s), and channels per trigger (Pusher's 100). */
  HERALD_PUSHER_TIMESTAMP_WINDOW_MS: ms(600_000),
  HERALD_PUSHER_MAX_TRIGGER_CHANNELS: z.coerce.number().int().min(1).default(100),
  /** How often a gateway checks the subscriber counts of its Pusher sockets' channels (pusher_internal:subscription_count); 0 = never. */
  HERALD_PUSHER_SUBSCRIPTION_COUNT_MS: ms(5_000),
  /** Pusher-format webhooks hold channel_vacated / member_removed this long, dropped if undone meanwhile (Pusher's 3 s). */
  HERALD_PUSHER_WEBHOOK_HOLD_MS: ms(3_000),
});

export interface TransportConfig {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  sseHeartbeatMs: number;
  sseRetryMs: number;
  pollHoldMs: number;
  fanoutLingerMs: number;
  drainTimeoutMs: number;
  presenceLeaseMs: number;
  mqtt: { sessionTtlSeconds: number; sessionMaxSeconds: number; checkpointMs: number };
  headersTimeoutMs: number;
  transports: ReadonlySet<'ws' | 'sse' | 'poll'>;
  occupancyLeaseMs: number;
  occupancyLingerMs: number;
  pusher: { timestampWindowMs: number; maxTriggerChannels: number; subscriptionCountMs: number; webhookHoldMs: number };
}

export function transportConfig(e: z.infer<typeof transportEnv>): TransportConfig {
  return {
    pingIntervalMs: e.HERALD_PING_INTERVAL_MS,
    pongTimeoutMs: e.HERALD_PONG_TIMEOUT_MS,
    sseHeartbeatMs: e.HERALD_SSE_HEARTBEAT_MS,
    sseRetryMs: e.HERALD_SSE_RETRY_MS,
    pollHoldMs: e.HERALD_POLL_HOLD_MS,
    fanoutLingerMs: e.HERALD_FANOUT_LINGER_MS,
    drainTimeoutMs: e.HERALD_DRAIN_TIMEOUT_MS,
    presenceLeaseMs: e.HERALD_PRESENCE_LEASE_MS,
    mqtt: { sessionTtlSeconds: e.HERALD_MQTT_SESSION_TTL_S, sessionMaxSeconds: e.HERALD_MQTT_SESSION_MAX_S, checkpointMs: e.HERALD_MQTT_CHECKPOINT_MS },
    headersTimeoutMs: e.HERALD_HEADERS_TIMEOUT_MS,
    transports: new Set(e.HERALD_TRANSPORTS),
    occupancyLeaseMs: e.HERALD_OCCUPANCY_LEASE_MS,
    occupancyLingerMs: e.HERALD_OCCUPANCY_LINGER_MS,
    pusher: { timestampWindowMs: e.HERALD_PUSHER_TIMESTAMP_WINDOW_MS, maxTriggerChannels: e.HERALD_PUSHER_MAX_TRIGGER_CHANNELS, subscriptionCountMs: e.HERALD_PUSHER_SUBSCRIPTION_COUNT_MS, webhookHoldMs: e.HERALD_PUSHER_WEBHOOK_HOLD_MS },
  };
}
