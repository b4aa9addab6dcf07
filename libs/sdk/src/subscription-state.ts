import type { Position } from './wire.js';

/**
 * One channel's subscription state machine (Centrifugo's unsubscribed/subscribing/subscribed):
 *
 *   unsubscribed ─request→ subscribing ─confirm→ subscribed ─lost→ subscribing (resubscribe with position)
 *   subscribing ─fail→ unsubscribed;  any ─remove→ unsubscribed (final)
 *
 * The position (last offset within an epoch) survives `lost`, so a reconnect resumes where it stopped.
 */
export type SubscriptionStatus = 'unsubscribed' | 'subscribing' | 'subscribed';
export type SubscriptionEvent = 'request' | 'confirm' | 'lost' | 'fail' | 'remove';

const TABLE: Record<SubscriptionStatus, Partial<Record<SubscriptionEvent, SubscriptionStatus>>> = {
  unsubscribed: { request: 'subscribing' },
  subscribing: { confirm: 'subscribed', lost: 'subscribing', fail: 'unsubscribed', remove: 'unsubscribed' },
  subscribed: { lost: 'subscribing', remove: 'unsubscribed', fail: 'unsubscribed' },
};

export function nextSubscriptionStatus(status: SubscriptionStatus, event: SubscriptionEvent): SubscriptionStatus | null {
  return TABLE[status][event] ?? null;
}

export class SubscriptionMachine {
  status: SubscriptionStatus = 'unsubscribed';
  position?: Position;
  /** Whether the app's subscribe() has been answered (its onSuccess/onFailed are called once). */
  settled = false;

  send(event: SubscriptionEvent): boolean {
    const to = nextSubscriptionStatus(this.status, event);
    if (to === null) return false;
    this.status = to;
    return true;
  }

  /**
   * Applies a delivered message's position. Returns false for one at or before the position in the
   * same epoch: a duplicate (a replay overlapping what arrived live).
   */
  advance(offset: number, epoch: string): boolean {
    const p = this.position;
    if (p && p.epoch === epoch && offset <= p.offset) return false;
    this.position = { offset, epoch };
    return true;
  }
}
