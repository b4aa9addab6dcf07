import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import type { AppContext } from '@herald/db';
import { PublishService } from '@herald/publishing';
import {
  CLOSE_CODES,
  FrameError,
  HeraldError,
  decodeClientFrame,
  encodeFrame,
  isPrivateChannel,
  type ClientFrame,
  type RequestId,
  type ServerFrame,
  type SubscribeItem,
} from '@herald/protocol';
import { ChannelHub } from '../channels/channel-hub.js';
import { Session } from './session.js';
import type { Transport } from './transport.js';

/**
 * The transport-agnostic core (Centrifugo's Client): every transport hands it decoded frames and a
 * Transport to write to. Auth happened before a session exists; subscriptions, replay, publish and
 * liveness are decided here, once, for every transport. One timer sweeps all sessions for heartbeats.
 */
@Injectable()
export class SessionCore implements OnModuleInit, OnApplicationShutdown {
  private readonly sessions = new Set<Session>();
  private sweepTimer?: NodeJS.Timeout;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly hub: ChannelHub,
    private readonly publisher: PublishService,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'session' });
  }

  onModuleInit(): void {
    const every = Math.max(50, Math.min(this.config.pingIntervalMs, this.config.pongTimeoutMs) / 2);
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), every);
    this.sweepTimer.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  open(ctx: AppContext, transport: Transport): Session {
    const session = new Session(randomBytes(9).toString('base64url'), ctx, transport, Date.now());
    this.sessions.add(session);
    session.send(
      encodeFrame({ type: 'connected', connectionId: session.id, pingInterval: this.config.pingIntervalMs, pongTimeout: this.config.pongTimeoutMs }),
    );
    return session;
  }

  /** Any inbound traffic proves the peer alive. Frames are handled in order, one at a time. */
  receive(session: Session, text: string): void {
    session.lastSeen = Date.now();
    let frame: ClientFrame;
    try {
      frame = decodeClientFrame(text);
    } catch (e) {
      this.sendError(session, e, e instanceof FrameError ? e.requestId : undefined);
      return;
    }
    if (frame.type === 'pong') return;
    session.queue = session.queue.then(() => this.handle(session, frame)).catch((e) => this.sendError(session, e, 'id' in frame ? frame.id : undefined));
  }

  alive(session: Session): void {
    session.lastSeen = Date.now();
  }

  /** The transport ended (either side): forget the session and its subscriptions. */
  closed(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session);
    this.hub.unsubscribeAll(session);
  }

  disconnect(session: Session, code: number, reason: string): void {
    if (session.closed) return;
    session.transport.close(code, reason);
    this.closed(session);
  }

  private async handle(session: Session, frame: Exclude<ClientFrame, { type: 'pong' }>): Promise<void> {
    if (session.closed) return; // frames queued behind the close are dropped
    switch (frame.type) {
      case 'subscribe':
        return this.subscribe(session, frame.id, frame.channels);
      case 'unsubscribe': {
        const removed = frame.channels.filter((c) => this.hub.unsubscribe(session, c));
        return this.reply(session, { type: 'reply', id: frame.id, result: { channels: removed } });
      }
      case 'publish': {
        const result = await this.publisher.publish(session.ctx, { channel: frame.channel, message: frame.message, id: frame.messageId });
        return this.reply(session, { type: 'reply', id: frame.id, result });
      }
      case 'ping':
        return this.reply(session, { type: 'pong', id: frame.id });
    }
  }

  private async subscribe(session: Session, id: RequestId | undefined, items: SubscribeItem[]): Promise<void> {
    const limit = session.ctx.app.plan.maxChannelsPerConnection;
    for (const item of items) {
      try {
        if (session.subscriptions.has(item.channel)) throw new HeraldError('already_subscribed', `Already subscribed to ${item.channel}`);
        if (session.subscriptions.size >= limit) throw new HeraldError('too_many_channels', `At most ${limit} channels per connection on this plan`);
        if (isPrivateChannel(item.channel)) throw new HeraldError('token_required');
        await this.hub.subscribe(session, item.channel, item.since, (r) =>
          encodeFrame({ type: 'subscribed', id, channel: item.channel, epoch: r.epoch, offset: r.offset, recovered: r.recovered, replayed: r.replayed }),
        );
      } catch (e) {
        this.sendError(session, e, id, item.channel);
      }
    }
  }

  private reply(session: Session, frame: ServerFrame): void {
    session.send(encodeFrame(frame));
  }

  private sendError(session: Session, e: unknown, id: RequestId | undefined, channel?: string): void {
    const err = e instanceof HeraldError ? e : new HeraldError('internal_error');
    if (!(e instanceof HeraldError)) this.logger.error({ err: (e as Error)?.message, session: session.id }, 'frame failed');
    session.send(encodeFrame({ type: 'error', id, channel, ...err.toBody() }));
  }

  /** One sweep for all sessions: ping the quiet ones, close those silent past ping + pong timeout. */
  sweep(now: number): void {
    const { pingIntervalMs, pongTimeoutMs } = this.config;
    const ping = Buffer.from(encodeFrame({ type: 'ping' }));
    for (const s of this.sessions) {
      if (now - s.lastSeen > pingIntervalMs + pongTimeoutMs) {
        this.disconnect(s, CLOSE_CODES.heartbeat_timeout, 'heartbeat timeout');
      } else if (now - s.lastPing >= pingIntervalMs) {
        s.lastPing = now;
        s.send(ping);
        s.transport.ping();
      }
    }
  }

  /** Graceful drain: every client is told to reconnect (elsewhere) and resumes from its positions. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const s of [...this.sessions]) this.disconnect(s, CLOSE_CODES.server_shutdown, 'server shutting down');
  }
}
