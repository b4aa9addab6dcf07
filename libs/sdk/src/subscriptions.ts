import { reportLater } from './emitter.js';
import { HeraldError } from './errors.js';
import { RecentIds } from './lru.js';
import { SubscriptionMachine } from './subscription-state.js';
import type { ErrorShape, HereNowContent, HeraldMessage, PresenceEvent, PresenceMember, RecoveredEvent } from './types.js';
import type { MessageFrame, Position, PresenceFrame, ServerFrame, SubscribeRequest, SubscribedFrame } from './wire.js';

export interface Subscription {
  readonly channel: string;
  readonly machine: SubscriptionMachine;
  readonly handlers: Set<(m: HeraldMessage) => void>;
  presence: boolean;
  accessToken?: string;
  /** Stops the token refresher, when the subscription has one. */
  stopRefresh?: () => void;
  /** subscribe() calls waiting for the first answer. */
  waiters: Array<{ resolve: () => void; reject: (e: HeraldError) => void }>;
}

export interface PresenceWatch {
  readonly channel: string;
  readonly handlers: Set<(e: PresenceEvent) => void>;
  membersLimit: number;
  accessToken?: string;
  readonly members: Map<string, PresenceMember>;
  /** subscribePresence() calls waiting for the snapshot. */
  waiters: Array<{ resolve: (snapshot: HereNowContent) => void; reject: (e: HeraldError) => void }>;
}

/** What the subscription book tells the client (which turns it into events). */
export interface BookEvents {
  message(m: HeraldMessage): void;
  subscribed(f: SubscribedFrame): void;
  recovered(e: RecoveredEvent): void;
  failed(channel: string, error: HeraldError): void;
  presence(e: PresenceEvent): void;
}

/**
 * The client's subscriptions and presence watches, and the frames that move them: positions advance
 * message by message, duplicates are dropped (by offset within the epoch, and by message id in a
 * bounded memory), and a lost continuity is reported, never hidden.
 */
export class SubscriptionBook {
  readonly subs = new Map<string, Subscription>();
  readonly watches = new Map<string, PresenceWatch>();
  private readonly recent: RecentIds;

  constructor(
    dedupSize: number,
    private readonly on: BookEvents,
  ) {
    this.recent = new RecentIds(dedupSize);
  }

  position(channel: string): Position | undefined {
    return this.subs.get(channel)?.machine.position;
  }

  request(sub: Subscription): SubscribeRequest {
    return {
      channel: sub.channel,
      position: sub.machine.position,
      presence: sub.presence,
      presenceEvents: this.watches.has(sub.channel),
      messages: true,
      accessToken: sub.accessToken,
    };
  }

  /** Everything a new transport opens with: subscriptions, and channels watched for presence only. */
  initial(): SubscribeRequest[] {
    const out = [...this.subs.values()].map((s) => this.request(s));
    for (const w of this.watches.keys()) if (!this.subs.has(w)) out.push({ channel: w, presence: false, presenceEvents: true, messages: false });
    return out;
  }

  /** The connection dropped: every subscription waits to resubscribe from its position. */
  lost(): void {
    for (const s of this.subs.values()) s.machine.send('lost');
  }

  remove(channel: string, error?: HeraldError): Subscription | undefined {
    const sub = this.subs.get(channel);
    if (!sub) return undefined;
    this.subs.delete(channel);
    sub.stopRefresh?.();
    sub.machine.send('remove');
    for (const w of sub.waiters.splice(0)) w.reject(error ?? new HeraldError(409, 'unsubscribed', `Unsubscribed from ${channel} before it was confirmed`));
    return sub;
  }

  handle(frame: ServerFrame): void {
    switch (frame.type) {
      case 'message':
        return this.message(frame);
      case 'subscribed':
        return this.subscribed(frame);
      case 'reset': {
        const sub = this.subs.get(frame.channel);
        if (!sub) return;
        sub.machine.position = { epoch: frame.epoch, offset: frame.offset };
        this.on.recovered({ channel: frame.channel, recovered: false, epoch: frame.epoch, offset: frame.offset, cause: 'reset' });
        return;
      }
      case 'error':
        if (frame.channel !== undefined) this.failed(frame.channel, new HeraldError(frame.code, frame.reason, frame.content));
        return;
      case 'presence':
        return this.presence(frame);
    }
  }

  private message(f: MessageFrame): void {
    const sub = this.subs.get(f.channel);
    if (!sub || sub.machine.status === 'unsubscribed') return;
    // A message of another epoch than the position's, with no reset before it: continuity was lost all
    // the same (a server that announces it sends `reset` first) — say so, never a silent jump.
    const before = sub.machine.position;
    const jumped = before !== undefined && before.epoch !== '' && before.epoch !== f.epoch;
    if (!sub.machine.advance(f.offset, f.epoch)) return;
    if (jumped) this.on.recovered({ channel: f.channel, recovered: false, epoch: f.epoch, offset: f.offset - 1, cause: 'reset' });
    if (this.recent.check(`${f.channel}\n${f.id}`)) return;
    const m: HeraldMessage = { time: f.time, channel: f.channel, content: f.content, id: f.id, offset: f.offset, epoch: f.epoch };
    for (const h of [...sub.handlers]) safely(() => h(m));
    this.on.message(m);
  }

  private subscribed(f: SubscribedFrame): void {
    const sub = this.subs.get(f.channel);
    if (!sub) return;
    const resumed = sub.machine.position !== undefined && sub.machine.position.epoch !== '';
    if (!(f.recovered && resumed)) sub.machine.position = { epoch: f.epoch, offset: f.offset };
    sub.machine.send('confirm');
    if (resumed && !f.recovered) this.on.recovered({ channel: f.channel, recovered: false, epoch: f.epoch, offset: f.offset, cause: 'subscribe' });
    for (const w of sub.waiters.splice(0)) w.resolve();
    this.on.subscribed(f);
  }

  private failed(channel: string, error: HeraldError): void {
    const sub = this.subs.get(channel);
    if (!sub || sub.machine.status !== 'subscribing') return;
    this.remove(channel, error);
    this.on.failed(channel, error);
  }

  private presence(f: PresenceFrame): void {
    const w = this.watches.get(f.channel);
    if (!w) return;
    if (f.action === 'join') w.members.set(f.member.id, f.member);
    else w.members.delete(f.member.id);
    const e: PresenceEvent = { channel: f.channel, action: f.action, member: f.member, time: f.time, amount: f.amount, members: [...w.members.values()].slice(0, w.membersLimit) };
    for (const h of [...w.handlers]) safely(() => h(e));
    this.on.presence(e);
  }
}

export function toShape(e: HeraldError): ErrorShape {
  return { code: e.code, content: e.content, reason: e.reason };
}

/** An application callback: its exception is rethrown later, never into the SDK's state changes. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    reportLater(e);
  }
}
