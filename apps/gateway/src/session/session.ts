import type { AppContext } from '@herald/db';
import type { Transport } from './transport.js';

/** A subscriber's place in one channel: the last offset it was sent (its resume position). */
export interface Subscription {
  readonly session: Session;
  readonly appId: string;
  readonly channel: string;
  epoch: string;
  offset: number;
  /** Live frames that arrived while the subscription was still replaying history; null once live. */
  backlog: Array<{ frame: Buffer; offset: number; epoch: string }> | null;
}

/** One client connection, whatever its transport: identity, subscriptions, liveness. */
export class Session {
  readonly subscriptions = new Map<string, Subscription>();
  lastSeen: number;
  lastPing: number;
  closed = false;
  /** Frames are handled one at a time, so a client's pipelined publishes keep their order. */
  queue: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly ctx: AppContext,
    readonly transport: Transport,
    now: number,
  ) {
    this.lastSeen = now;
    this.lastPing = now;
  }

  get appId(): string {
    return this.ctx.app.id;
  }

  send(data: string | Buffer): void {
    if (!this.closed) this.transport.send(data);
  }
}
