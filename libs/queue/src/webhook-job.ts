/** Webhook deliveries: one job per signed POST (one or more events to one endpoint). */
export const WEBHOOK_QUEUE = 'webhooks';
export const WEBHOOK_JOB = 'deliver';
export const WEBHOOK_BACKOFF = 'herald-webhook';

export interface WebhookJob {
  appId: string;
  webhookId: string;
  deliveryId: string;
  /** The exact body to sign and send (also in the delivery log): no database read per attempt. */
  body: string;
}

/** BullMQ keeps finished jobs' ids for a while: a replay needs an id of its own (same delivery, same body). */
export function webhookJobId(deliveryId: string, replay = 0): string {
  return replay === 0 ? deliveryId : `${deliveryId}.r${replay}`;
}

export interface WebhookRetryPolicy {
  backoffMs: number;
  maxBackoffMs: number;
  retryPeriodMs: number;
}

/** Delay before retry n (1-based): exponential from backoffMs, capped, with ±25 % jitter around it. */
export function webhookBackoff(policy: WebhookRetryPolicy, attemptsMade: number, random = Math.random): number {
  const base = Math.min(policy.backoffMs * 2 ** Math.max(0, attemptsMade - 1), policy.maxBackoffMs);
  return Math.round(base * (0.75 + random() * 0.5));
}

/** Attempts so that the (un-jittered) backoffs together cover the retry period: the first attempt plus retries. */
export function webhookAttempts(policy: WebhookRetryPolicy): number {
  let total = 0;
  let n = 1;
  while (total < policy.retryPeriodMs && n < 1000) {
    total += Math.min(policy.backoffMs * 2 ** (n - 1), policy.maxBackoffMs);
    n++;
  }
  return n;
}
