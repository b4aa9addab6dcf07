import { BeforeApplicationShutdown, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import type { Admitted } from '../connect/connect-auth.js';
import { AccessTokens } from '@herald/db';
import { PresenceMembers } from './presence-members.js';
import { KeyAudit } from './key-audit.js';
import { AppLimits } from '@herald/bus';
import { HistoryService, PresenceService } from '@herald/channels';
import { GatewayMetrics, Readiness } from '@herald/observability';
import { PublishService } from '@herald/publishing';
import {
  CLOSE_CODES,
  closeCodeFor,
  FrameError,
  HeraldError,
  decodeClientFrame,
  encodeFrame,
  type ClientFrame,
  type RequestId,
  type ServerFrame,
  type SubscribeItem,
} from '@herald/protocol';
import { ChannelHub } from '../channels/channel-hub.js';
import { IDLE, Session } from './session.js';
import type { Transport } from './transport.js';
import { OutboundFrame } from './outbound-frame.js';

/**
 * The transport-agnostic core (Centrifugo's Client): every transport hands it decoded frames and a
 * Transport to write to. Auth happened before a session exists; subscriptions, replay, publish and
 * liveness are decided here, once, for every transport. One timer sweeps all sessions for heartbeats.
 */
@Injectable()
export class SessionCore implements OnModuleInit, BeforeApplicationShutdown {
  private readonly sessions = new Set<Session>();
  private draining = false;
  private lastSlotRenew = Date.now();
  private sweepTimer?: NodeJS.Timeout;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly hub: ChannelHub,
    private readonly publisher: PublishService,
    private readonly presence: PresenceMembers,
    private readonly metrics: GatewayMetrics,
    private readonly readiness: Readiness,
    private readonly history: HistoryService,
    private readonly presenceReads: PresenceService,
    private readonly access: AccessTokens,
    private readonly keyAudit: KeyAudit,
    private readonly limits: AppLimits,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'session' });
  }

  onModuleInit(): void {
    const c = this.config;
    const every = Math.max(50, Math.min(c.pingIntervalMs, c.pongTimeoutMs, c.sseHeartbeatMs, c.keyRecheckMs) / 2);
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), every);
    this.sweepTimer.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  open(connect: Admitted, transport: Transport): Session {
    const session = new Session(connect.connId, connect.ctx, transport, Date.now(), connect.user);
    if (this.draining) {
      session.closed = true;
      this.releaseSlot(session);
      transport.close(CLOSE_CODES.server_shutdown, 'server shutting down');
      return session;
    }
    this.sessions.add(session);
    this.metrics.connectionOpened(transport.name);
    this.logger.debug({ connectionId: session.id, app: session.appId, transport: transport.name, user: session.user?.id }, 'connection opened');
    session.send(OutboundFrame.of({ type: 'connected', connectionId: session.id, pingInterval: transport.pingIntervalMs, pongTimeout: this.config.pongTimeoutMs }));
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
    this.enqueue(session, () => this.handle(session, frame), 'id' in frame ? frame.id : undefined);
  }

  /**
   * Runs a task in the session's queue, after every frame received before it (another protocol's
   * translator, e.g. Pusher's, hands its frames in here). A failure becomes an error frame.
   */
  enqueue(session: Session, task: () => Promise<void> | void, id?: RequestId): void {
    const queued: Promise<void> = session.queue
      .then(() => (session.closed ? undefined : task()))
      .catch((e) => this.sendError(session, e, id))
      .then(() => {
        // Drained: back to the shared settled promise, so an idle session keeps no promise of its own.
        if (session.queue === queued) session.queue = IDLE;
      });
    session.queue = queued;
  }

  alive(session: Session): void {
    session.lastSeen = Date.now();
  }

  /** The transport ended (either side): forget the session and its subscriptions. */
  closed(session: Session): void {
    if (session.closed) return;
    session.freezeCursor();
    session.closed = true;
    if (this.sessions.delete(session)) {
      this.metrics.connectionClosed(session.transport.name);
      this.logger.debug({ connectionId: session.id, app: session.appId, transport: session.transport.name }, 'connection closed');
    }
    this.hub.unsubscribeAll(session);
    this.presence.leaveAll(session);
    this.releaseSlot(session);
  }

  private releaseSlot(session: Session): void {
    this.limits.releaseConnection(session.appId, session.id).catch((e: Error) => this.logger.warn({ err: e.message }, 'connection slot release failed'));
  }

  /** Connection slots are leases: renewed together once per third of the lease. */
  private renewSlots(now: number): void {
    if (now - this.lastSlotRenew < this.config.connLeaseMs / 3) return;
    this.lastSlotRenew = now;
    const entries = [...this.sessions].map((s) => ({ appId: s.appId, connId: s.id }));
    this.limits.renewConnections(entries, this.config.connLeaseMs, now).catch((e: Error) => this.logger.warn({ err: e.message }, 'connection lease renewal failed'));
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
        await this.subscribe(session, frame.channels, frame.id);
        return;
      case 'unsubscribe':
        return this.reply(session, { type: 'reply', id: frame.id, result: { channels: await this.unsubscribe(session, frame.channels) } });
      case 'presence_subscribe': {
        return this.reply(session, { type: 'reply', id: frame.id, result: await this.watchPresence(session, frame.channel, frame.accessToken) });
      }
      case 'presence_unsubscribe':
        this.hub.unwatch(session, frame.channel);
        return this.reply(session, { type: 'reply', id: frame.id, result: { channel: frame.channel } });
      case 'herenow':
        return this.reply(session, { type: 'reply', id: frame.id, result: await this.presenceReads.hereNow(session.ctx, { ...frame, userId: session.user?.id }) });
      case 'history':
        return this.reply(session, { type: 'reply', id: frame.id, result: await this.history.read(session.ctx, { ...frame, userId: session.user?.id }) });
      case 'publish': {
        const result = await this.publishFrom(session, { channel: frame.channel, message: frame.message, id: frame.messageId, accessToken: frame.accessToken });
        return this.reply(session, { type: 'reply', id: frame.id, result });
      }
      case 'ping':
        return this.reply(session, { type: 'pong', id: frame.id });
    }
  }

  /**
   * A publish by a connected client, whatever its protocol: counted, held to the connection's own rate,
   * then the same durable publish as REST's, as the session's user.
   */
  async publishFrom(session: Session, input: { channel: string; message: unknown; id?: string; accessToken?: string }) {
    this.metrics.messageIn(session.transport.name);
    session.spendPublish(Date.now(), this.config.connPublishRate);
    const result = await this.publisher.publish(session.ctx, { ...input, userId: session.user?.id });
    this.metrics.publishAccepted();
    return result;
  }

  /** Leaves channels (and their presence); returns those the session held. */
  async unsubscribe(session: Session, channels: readonly string[]): Promise<string[]> {
    const removed = channels.filter((c) => this.hub.unsubscribe(session, c));
    await Promise.all(channels.map((c) => this.presence.leave(session, c)));
    return removed;
  }

  /**
   * Subscribes channel by channel; each gets its `subscribed` frame (then its missed messages) or an
   * error frame. Returns the channels that failed, so HTTP transports can answer with a status.
   * `authorized`: the caller already checked the client's right to read (a Pusher channel signature).
   */
  async subscribe(session: Session, items: SubscribeItem[], id?: RequestId, authorized = false): Promise<HeraldError[]> {
    const limit = session.ctx.app.plan.maxChannelsPerConnection;
    const failed: HeraldError[] = [];
    for (const item of items) {
      try {
        if (session.subscriptions.has(item.channel)) throw new HeraldError('already_subscribed', `Already subscribed to ${item.channel}`);
        session.assertRoomFor(item.channel, limit);
        if (!authorized) await this.access.authorize(session.ctx, { channel: item.channel, need: 'r', token: item.accessToken, userId: session.user?.id });
        if (item.presence && !session.user) throw new HeraldError('invalid_request', 'Presence needs a user id: connect with id (and data)');
        if (item.presence) await this.presence.assertRoom(session, item.channel);
        await this.hub.subscribe(session, item.channel, item.since, (r) =>
          OutboundFrame.of({ type: 'subscribed', id, channel: item.channel, epoch: r.epoch, offset: r.offset, recovered: r.recovered, replayed: r.replayed }),
        );
        if (item.presence) await this.presence.join(session, item.channel);
      } catch (e) {
        failed.push(e instanceof HeraldError ? e : new HeraldError('internal_error'));
        this.sendError(session, e, id, item.channel);
      }
    }
    return failed;
  }

  /** Presence events of a channel from now on; answers who is there now. */
  async watchPresence(session: Session, channel: string, accessToken?: string) {
    session.assertRoomFor(channel, session.ctx.app.plan.maxChannelsPerConnection);
    await this.access.authorize(session.ctx, { channel, need: 'r', token: accessToken, userId: session.user?.id });
    await this.hub.watch(session, channel); // events first, then the snapshot: no change falls between
    return this.presenceReads.hereNow(session.ctx, { channel, limit: 100, accessToken, userId: session.user?.id });
  }

  /** Checks a request's channel count against the plan before a one-shot transport starts. */
  assertChannelCount(session: Session, count: number): void {
    const limit = session.ctx.app.plan.maxChannelsPerConnection;
    if (count > limit) throw new HeraldError('too_many_channels', `At most ${limit} channels per connection on this plan`);
  }

  private reply(session: Session, frame: ServerFrame): void {
    session.send(OutboundFrame.of(frame));
  }

  private sendError(session: Session, e: unknown, id: RequestId | undefined, channel?: string): void {
    const err = e instanceof HeraldError ? e : new HeraldError('internal_error');
    this.metrics.error(err.reason);
    if (!(e instanceof HeraldError)) this.logger.error({ err: (e as Error)?.message, session: session.id }, 'frame failed');
    session.send(OutboundFrame.of({ type: 'error', id, channel, ...err.toBody() }));
  }

  /** One sweep for all sessions: ping the quiet ones, close those silent past ping + pong timeout. */
  sweep(now: number): void {
    this.renewSlots(now);
    this.presence.renewDue(this.sessions, now);
    this.keyAudit.runDue(this.sessions, now, (s, err) => this.disconnect(s, closeCodeFor(err.reason), `${err.reason}: ${err.message}`));
    for (const s of this.sessions) {
      const t = s.transport;
      if (!t.unidirectional && now - s.lastSeen > t.pingIntervalMs + this.config.pongTimeoutMs) {
        this.disconnect(s, CLOSE_CODES.heartbeat_timeout, 'heartbeat timeout');
      } else if (now - s.lastPing >= t.pingIntervalMs) {
        s.lastPing = now;
        t.ping();
      }
    }
  }

  /**
   * Graceful drain, before the HTTP server closes: no new sessions; every client is told to reconnect
   * (4500, or a `disconnect` event on SSE; held polls answered) and resumes from its positions on
   * another gateway. Waits for the close handshakes, at most HERALD_DRAIN_TIMEOUT_MS.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    this.readiness.startDraining(); // load balancers stop sending before the clients are told to leave
    clearInterval(this.sweepTimer);
    const sessions = [...this.sessions];
    const closing = sessions.map((s) => {
      this.disconnect(s, CLOSE_CODES.server_shutdown, 'server shutting down');
      return s.transport.whenClosed();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.config.drainTimeoutMs)));
    await Promise.race([Promise.all(closing), timeout]);
    clearTimeout(timer);
    for (const s of sessions) s.transport.terminate(); // whoever did not finish the handshake in time
  }
}
