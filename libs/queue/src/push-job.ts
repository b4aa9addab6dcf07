/** Web Push: a fan-out job per push message (pages of subscriptions), a delivery job per subscription. */
export const PUSH_FANOUT_QUEUE = 'push-fanout';
export const PUSH_FANOUT_JOB = 'fanout';
export const PUSH_QUEUE = 'push';
export const PUSH_JOB = 'deliver';
export const PUSH_BACKOFF = 'herald-push';

export interface PushFanoutJob {
  appId: string;
  pushMessageId: string;
}

export interface PushDeliveryJob {
  appId: string;
  deliveryId: string;
}

export interface PushRetryPolicy {
  backoffMs: number;
  maxBackoffMs: number;
  maxRetryAfterMs: number;
}

/**
 * Delay before retry n (1-based): exponential from backoffMs with ±25 % jitter, capped; a push service's
 * Retry-After (ms) is honoured when longer, up to maxRetryAfterMs.
 */
export function pushBackoff(policy: PushRetryPolicy, attemptsMade: number, retryAfterMs?: number, random = Math.random): number {
  const base = Math.min(policy.backoffMs * 2 ** Math.max(0, attemptsMade - 1), policy.maxBackoffMs);
  const jittered = Math.round(base * (0.75 + random() * 0.5));
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, policy.maxRetryAfterMs));
}
