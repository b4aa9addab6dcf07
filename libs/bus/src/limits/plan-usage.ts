import { HeraldError } from '@herald/protocol';

/* The plan caps and usage shapes AppLimits works with, and the clocks (UTC day, minute) it counts in. */

/** One app's counters in one minute, as the roll-up reads them. */
export interface MinuteUsage {
  appId: string;
  /** Minutes since the Unix epoch (UTC). */
  minute: number;
  publishes: number;
  deliveries: number;
  webhookAttempts: number;
  peakConnections: number;
}

export const minuteOf = (now: number) => Math.floor(now / 60_000);

export interface PlanCaps {
  maxConnections: number;
  maxPublishesPerSecond: number;
  maxMessagesPerDay: number | null;
}

export interface Usage {
  connections: number;
  publishesThisSecond: number;
  messagesToday: number;
}

export const DAY_TTL_S = 3 * 86_400;
/** Per-second counters live this long: enough for a few seconds' average. */
export const LIVE_TTL_S = 10;

export interface LiveRates {
  publishesPerSecond: number;
  deliveriesPerSecond: number;
  /** The complete seconds averaged over. */
  windowSeconds: number;
}

let dayCache = { start: 0, end: 0, day: '' };

/** YYYYMMDD of a UTC time (memoised for the current day: it is on every publish). */
export function utcDay(now: number): string {
  if (now >= dayCache.start && now < dayCache.end) return dayCache.day;
  const start = now - (now % 86_400_000);
  const day = new Date(now).toISOString().slice(0, 10).replace(/-/g, '');
  dayCache = { start, end: start + 86_400_000, day };
  return day;
}

/** A publish the charge refused (429 rate_limited or quota_exceeded): nothing of it was stored. */
export class PublishRefused extends HeraldError {}

/** The 429 of a refused charge (-1 rate, -2 quota). */
export function chargeRefusal(code: number, caps: PlanCaps, now: number): PublishRefused {
  if (code === -1) return new PublishRefused('rate_limited', `At most ${caps.maxPublishesPerSecond} publishes per second on this plan`, 1);
  const secondsToMidnight = 86_400 - Math.floor((now % 86_400_000) / 1000);
  return new PublishRefused('quota_exceeded', `At most ${caps.maxMessagesPerDay} messages per day on this plan`, secondsToMidnight);
}
