import { z } from 'zod';
import { HOUR, ms } from './common.js';

/** Outbound deliveries: webhooks and Web Push (timeouts, retries, per-app shares, circuits). */
export const webhooksPushEnv = z.object({
  /** Webhooks: one delivery's HTTP timeout; retries back off exponentially (with jitter) from BACKOFF up to MAX_BACKOFF for RETRY_PERIOD. */
  HERALD_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1).default(5_000),
  HERALD_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(1).default(2_000),
  HERALD_WEBHOOK_MAX_BACKOFF_MS: z.coerce.number().int().min(1).default(HOUR),
  HERALD_WEBHOOK_RETRY_PERIOD_MS: z.coerce.number().int().min(1).default(24 * HOUR),
  HERALD_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64),
  /** Deliveries of one app in flight at once, across every worker (its fair share of the pool above). */
  HERALD_WEBHOOK_APP_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(16),
  /** A delivery whose app is at its share waits this long (plus up to as much jitter) before trying again. */
  HERALD_WEBHOOK_DEFER_MS: z.coerce.number().int().min(1).default(1_000),
  /** An endpoint's circuit opens after this many consecutive failed attempts (timeouts, errors, non-2xx)… */
  HERALD_WEBHOOK_CIRCUIT_FAILURES: z.coerce.number().int().min(1).default(5),
  /** …and stays open this long; then one probe delivery goes (half-open): success closes it, failure reopens it. */
  HERALD_WEBHOOK_CIRCUIT_COOLDOWN_MS: z.coerce.number().int().min(1).default(30_000),
  /** Events read within this window are coalesced per app and endpoint into one delivery. */
  HERALD_WEBHOOK_LINGER_MS: ms(100),
  HERALD_WEBHOOK_MAX_EVENTS: z.coerce.number().int().min(1).max(1000).default(100),
  HERALD_WEBHOOK_CACHE_MS: ms(2_000),
  /** SSRF guard: webhooks may reach only public addresses unless this is `true` (local receivers in development and tests). */
  HERALD_WEBHOOKS_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Web Push (docs/push.md): the VAPID subject push services may contact (a mailto: or https: URL). */
  HERALD_PUSH_SUBJECT: z.string().regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'a mailto: address or an https: URL').default('mailto:push@herald.local'),
  /** One request to a push service; retries back off exponentially (with jitter) from BACKOFF up to MAX_BACKOFF, ATTEMPTS in all. */
  HERALD_PUSH_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  HERALD_PUSH_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  HERALD_PUSH_BACKOFF_MS: z.coerce.number().int().min(1).default(5_000),
  HERALD_PUSH_MAX_BACKOFF_MS: z.coerce.number().int().min(1).default(HOUR),
  /** A push service's Retry-After is honoured up to this long. */
  HERALD_PUSH_MAX_RETRY_AFTER_MS: z.coerce.number().int().min(1).default(HOUR),
  HERALD_PUSH_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64),
  /** Push requests of one app in flight at once, across every worker (its fair share of the pool above). */
  HERALD_PUSH_APP_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(32),
  /** A delivery whose app is at its share waits this long (plus up to as much jitter): short, a fan-out is a burst of one app. */
  HERALD_PUSH_DEFER_MS: z.coerce.number().int().min(1).default(250),
  /** A push service origin's circuit opens after this many consecutive failed requests, for the cool-down. */
  HERALD_PUSH_CIRCUIT_FAILURES: z.coerce.number().int().min(1).default(10),
  HERALD_PUSH_CIRCUIT_COOLDOWN_MS: z.coerce.number().int().min(1).default(30_000),
  /** Subscriptions read per step of a fan-out. */
  HERALD_PUSH_FANOUT_PAGE: z.coerce.number().int().min(1).max(10_000).default(500),
});

export interface WebhooksPushConfig {
  webhooks: {
    timeoutMs: number;
    backoffMs: number;
    maxBackoffMs: number;
    retryPeriodMs: number;
    concurrency: number;
    appConcurrency: number;
    deferMs: number;
    circuitFailures: number;
    circuitCooldownMs: number;
    lingerMs: number;
    maxEvents: number;
    cacheMs: number;
    allowPrivate: boolean;
  };
  push: {
    subject: string;
    timeoutMs: number;
    attempts: number;
    backoffMs: number;
    maxBackoffMs: number;
    maxRetryAfterMs: number;
    concurrency: number;
    appConcurrency: number;
    deferMs: number;
    circuitFailures: number;
    circuitCooldownMs: number;
    fanoutPage: number;
  };
}

export function webhooksPushConfig(e: z.infer<typeof webhooksPushEnv>): WebhooksPushConfig {
  return {
    webhooks: {
      timeoutMs: e.HERALD_WEBHOOK_TIMEOUT_MS,
      backoffMs: e.HERALD_WEBHOOK_BACKOFF_MS,
      maxBackoffMs: e.HERALD_WEBHOOK_MAX_BACKOFF_MS,
      retryPeriodMs: e.HERALD_WEBHOOK_RETRY_PERIOD_MS,
      concurrency: e.HERALD_WEBHOOK_CONCURRENCY,
      appConcurrency: e.HERALD_WEBHOOK_APP_CONCURRENCY,
      deferMs: e.HERALD_WEBHOOK_DEFER_MS,
      circuitFailures: e.HERALD_WEBHOOK_CIRCUIT_FAILURES,
      circuitCooldownMs: e.HERALD_WEBHOOK_CIRCUIT_COOLDOWN_MS,
      lingerMs: e.HERALD_WEBHOOK_LINGER_MS,
      maxEvents: e.HERALD_WEBHOOK_MAX_EVENTS,
      cacheMs: e.HERALD_WEBHOOK_CACHE_MS,
      allowPrivate: e.HERALD_WEBHOOKS_ALLOW_PRIVATE,
    },
    push: {
      subject: e.HERALD_PUSH_SUBJECT,
      timeoutMs: e.HERALD_PUSH_TIMEOUT_MS,
      attempts: e.HERALD_PUSH_ATTEMPTS,
      backoffMs: e.HERALD_PUSH_BACKOFF_MS,
      maxBackoffMs: e.HERALD_PUSH_MAX_BACKOFF_MS,
      maxRetryAfterMs: e.HERALD_PUSH_MAX_RETRY_AFTER_MS,
      concurrency: e.HERALD_PUSH_CONCURRENCY,
      appConcurrency: e.HERALD_PUSH_APP_CONCURRENCY,
      deferMs: e.HERALD_PUSH_DEFER_MS,
      circuitFailures: e.HERALD_PUSH_CIRCUIT_FAILURES,
      circuitCooldownMs: e.HERALD_PUSH_CIRCUIT_COOLDOWN_MS,
      fanoutPage: e.HERALD_PUSH_FANOUT_PAGE,
    },
  };
}
