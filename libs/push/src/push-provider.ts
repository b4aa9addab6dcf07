import type { PushUrgency } from '@herald/protocol';
import type { VapidKeys } from './vapid-keys.js';

/** Where one notification goes: a subscription as the browser gave it (Web Push), or a device token (FCM/APNs, later). */
export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushMessageOptions {
  /** The plaintext the subscriber decrypts. */
  payload: string;
  ttl: number;
  urgency: PushUrgency;
  topic?: string;
}

export interface PushCredentials {
  vapid: VapidKeys;
  /** The VAPID `sub` claim: how the push service may reach the sender. */
  subject: string;
}

/** What the push service answered (statusCode null: no answer — refused, unreachable, timed out). */
export interface PushResult {
  statusCode: number | null;
  /** The service's Retry-After, in ms, on a 429 or 503. */
  retryAfterMs?: number;
  latencyMs: number;
  error: string | null;
}

/**
 * One kind of push service. Web Push is the one Herald ships; FCM and APNs would be further kinds with
 * their own targets and credentials, chosen per subscription, behind the same delivery job.
 */
export interface PushProvider {
  readonly kind: 'webpush';
  send(target: PushTarget, message: PushMessageOptions, credentials: PushCredentials): Promise<PushResult>;
  close(): void;
}

/** How a delivery ends after an answer (RFC 8030 §6, 8.3 and the push services' documented codes). */
export type PushVerdict = 'delivered' | 'expired' | 'retry' | 'failed';

export function verdictOf(r: PushResult): PushVerdict {
  const c = r.statusCode;
  if (c === null) return 'retry';
  if (c >= 200 && c < 300) return 'delivered';
  // The subscription is gone (unsubscribed, expired): never send to it again.
  if (c === 404 || c === 410) return 'expired';
  if (c === 408 || c === 429 || c >= 500) return 'retry';
  // 400 (bad request), 401/403 (VAPID refused), 413 (too large): sending again would not help.
  return 'failed';
}

/** A Retry-After value (seconds or an HTTP date) in ms from now. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
