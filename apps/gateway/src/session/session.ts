import type { AppContext } from '@herald/db';
import { HeraldError, encodeCursor, type PresenceMember } from '@herald/protocol';
import type { OutboundFrame } from './outbound-frame.js';
import type { Transport } from './transport.js';
import type { LiveFrame } from '../channels/live-frame.js';

/** A subscriber's place in one channel: the last offset it was sent (its resume position). */
export interface Subscription {
  readonly session: Session;
  readonly appId: string;
  readonly channel: string;
  epoch: string;
  offset: number;
  /** Live frames that arrived while the subscription was still replaying history; null once live. */
  backlog: LiveFrame[] | null;
}

/** The queue of a session with no frame under way: one settled promise shared by all. */
export const IDLE: Promise<void> = Promise.resolve();

/** What `watching` and `memberships` are until a session has one: most sessions never do. */
const NONE: ReadonlySet<string> = new Set();
const NO_MEMBERSHIPS: ReadonlyMap<string, PresenceMember> = new Map();

/** One client connection, whatever its transport: identity, subscriptions, liveness. */
export class Session {
  readonly subscriptions = new Map<string, Subscription>();
  // Allocated with their first channel: two empty Sets per idle connection were ≈ 0.3 KB of heap.
  private watchingSet?: Set<string>;
  private membershipMap?: Map<string, PresenceMember>;
  /** MQTT wildcard filters held: each counts as one of the plan's channels per connection. */
  filterCount = 0;
  lastSeen: number;
  lastPing: number;
  closed = false;
  /** Frames are handled one at a time, so a client's pipelined publishes keep their order. */
  queue: Promise<void> = IDLE;

  constructor(
    readonly id: string,
    readonly ctx: AppContext,
    readonly transport: Transport,
    now: number,
    /** Who the client said it is at connect (`id`, `data`), for presence. */
    readonly user?: PresenceMember,
  ) {
    this.lastSeen = now;
    this.lastPing = now;
  }

  get appId(): string {
    return this.ctx.app.id;
  }

  /**
   * Distinct channels this session holds, subscribed or watched for presence (and MQTT wildcard
   * filters): each one is a Redis subscription, so the plan's channels-per-connection cap counts them all.
   */
  channelCount(): number {
    let n = this.subscriptions.size + this.filterCount;
    for (const c of this.watching) if (!this.subscriptions.has(c)) n++;
    return n;
  }

  holds(channel: string): boolean {
    return this.subscriptions.has(channel) || this.watching.has(channel);
  }

  /** Refuses a channel the session does not hold yet once it holds the plan's maximum. */
  assertRoomFor(channel: string, limit: number): void {
    if (!this.holds(channel) && this.channelCount() >= limit) throw new HeraldError('too_many_channels', `At most ${limit} channels per connection on this plan`);
  }

  /** Channels whose presence events this session receives. */
  get watching(): ReadonlySet<string> {
    return this.watchingSet ?? NONE;
  }

  addWatching(channel: string): void {
    (this.watchingSet ??= new Set()).add(channel);
  }

  deleteWatching(channel: string): boolean {
    return this.watchingSet?.delete(channel) ?? false;
  }

  /**
   * Channels where this session is a presence member (leases renewed, left on close), and as whom: the
   * connect-time user for Herald's protocol, the signed `channel_data` of each channel for Pusher's.
   */
  get memberships(): ReadonlyMap<string, PresenceMember> {
    return this.membershipMap ?? NO_MEMBERSHIPS;
  }

  addMembership(channel: string, member: PresenceMember): void {
    (this.membershipMap ??= new Map()).set(channel, member);
  }

  /** The member this session was on the channel, now forgotten; undefined when it was none. */
  deleteMembership(channel: string): PresenceMember | undefined {
    const member = this.membershipMap?.get(channel);
    this.membershipMap?.delete(channel);
    return member;
  }

  send(frame: OutboundFrame): void {
    if (!this.closed) this.transport.send(frame);
  }

  private finalCursor?: string;
  private publishTokens = -1;
  private publishRefillAt = 0;

  /** A token bucket per connection (its own rate, inside the app's): refuses with 429 when empty. */
  spendPublish(now: number, perSecond: number): void {
    if (this.publishTokens < 0) this.publishTokens = perSecond;
    this.publishTokens = Math.min(perSecond, this.publishTokens + ((now - this.publishRefillAt) * perSecond) / 1000);
    this.publishRefillAt = now;
    if (this.publishTokens < 1) throw new HeraldError('rate_limited', `At most ${perSecond} publishes per second per connection`, 1);
    this.publishTokens -= 1;
  }

  /** Where this session stands in every channel: what SSE ids and poll cursors carry. */
  cursor(): string {
    return this.finalCursor ?? encodeCursor([...this.subscriptions].map(([channel, s]) => [channel, { epoch: s.epoch, offset: s.offset }]));
  }

  /** Keeps the positions as they were at the close, for a poll answered after it. */
  freezeCursor(): void {
    this.finalCursor ??= this.cursor();
  }
}
