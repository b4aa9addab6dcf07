import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError, assertChannel, assertJsonDepth, assertMessageId, parsePush } from '@herald/protocol';
import { newMessageId } from '@herald/auth';
import { AppLimits, ChannelLog, StoredUnacknowledged, type Accepted, type PublishCharge } from '@herald/bus';
import { RefusedApps } from './refused-apps.js';
import { AccessTokens, type AppContext, type AppRecord } from '@herald/db';

export interface PublishInput {
  channel: unknown;
  message: unknown;
  id?: unknown;
  /** For private channels, unless the caller holds the secret. */
  accessToken?: string;
  /** The publishing connection's user id, if any (a token naming a user binds to it). */
  userId?: string;
  /** A Pusher trigger's event name, carried on the frame (docs/pusher.md); Herald's own publishes have none. */
  event?: string;
  /** A Pusher trigger's `socket_id`: the connection that must not receive it. */
  exclude?: string;
  /** A Pusher client event's sender on a presence channel: `user_id` on the frame. */
  pusherUserId?: string;
  /** The caller already proved the right to write the channel (a Pusher client event on a channel its signature opened). */
  authorized?: boolean;
  /** A Web Push notification for the channel's push subscribers (docs/push.md); the secret key only. */
  push?: unknown;
  /** `always` (default) or `offline`: only subscribers whose user has no live connection on the channel. */
  pushMode?: unknown;
}

export interface PublishResult {
  id: string;
  channel: string;
  offset: number;
  epoch: string;
  /** true when the id was already accepted within the idempotency window (nothing new stored). */
  duplicate: boolean;
}

/** A publish that passed every check of its caller's rights: what remains is charging and accepting it. */
export interface PreparedPublish {
  channel: string;
  messageId: string;
  /** The message as JSON text. */
  content: string;
  event?: string;
  exclude?: string;
  pusherUserId?: string;
  /** The Web Push spec (JSON text of a PushSpec), carried with the message to the worker's fan-out. */
  push?: string;
}

export type BatchItemResult = { ok: true; result: PublishResult } | { ok: false; error: HeraldError };

/**
 * The one publish use case, for REST, batches, scheduled messages and clients on the gateway: check,
 * charge the app (its rate and quota), then accept — one Redis script on the channel's slot stores the
 * message in its history with the next offset and publishes it to the subscribers (idempotent by id),
 * then the archive feed gets it. On one Redis that script charges too (nothing to give back: a refused
 * charge stores nothing); on a cluster the charge is a step of its own on the app's slot, and an accept
 * that fails after it gives the charge back (docs/architecture.md#redis-cluster). The publisher is
 * answered after those steps, and a retry with the same id is answered the same.
 */
@Injectable()
export class PublishService {
  /** Refusals remembered in process, so a flooding tenant stops costing the shared Redis. */
  private readonly refused = new RefusedApps();

  constructor(
    private readonly log: ChannelLog,
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly access: AccessTokens,
    private readonly limits: AppLimits,
  ) {}

  async publish(ctx: AppContext, input: PublishInput, now = Date.now()): Promise<PublishResult> {
    const prepared = await this.prepare(ctx, input);
    return this.publishPrepared(ctx.app, prepared, now);
  }

  /** Every check that depends on the caller (key, channel, token, message, size); no side effect. */
  async prepare(ctx: AppContext, input: PublishInput): Promise<PreparedPublish> {
    const { app } = ctx;
    if (ctx.keyKind === 'subscribe') throw new HeraldError('publish_forbidden', 'A subscribe key (BS-) may not publish');
    const channel = assertChannel(input.channel);
    if (!input.authorized) await this.access.authorize(ctx, { channel, need: 'w', token: input.accessToken, userId: input.userId });
    if (input.message === undefined || input.message === null) throw new HeraldError('invalid_message');
    const messageId = input.id === undefined || input.id === null ? newMessageId() : assertMessageId(input.id);
    assertJsonDepth(input.message);
    const content = JSON.stringify(input.message);
    assertPayloadSize(app, content);
    const push = this.checkPush(ctx, input, channel, messageId);
    return { channel, messageId, content, event: input.event, exclude: input.exclude, pusherUserId: input.pusherUserId, push };
  }

  /** A push is a server's decision (it reaches people who closed the page): the secret key only. */
  private checkPush(ctx: AppContext, input: PublishInput, channel: string, messageId: string): string | undefined {
    if ((input.push === undefined || input.push === null) && (input.pushMode === undefined || input.pushMode === null)) return undefined;
    if (ctx.keyKind !== 'secret') throw new HeraldError('push_forbidden', 'A publish with push needs the secret key');
    const spec = parsePush(input.push, input.pushMode, channel, messageId);
    return spec && JSON.stringify(spec);
  }

  /** Charges and accepts an already checked publish (a scheduled one is charged when scheduled: publishPrepaid). */
  async publishPrepared(app: AppRecord, prepared: PreparedPublish, now = Date.now()): Promise<PublishResult> {
    assertPayloadSize(app, prepared.content);
    const [item] = await this.chargeAndAccept(app, [prepared], now);
    if (!item.ok) throw item.error;
    return item.result;
  }

  /** Accepts a publish charged earlier (a scheduled one, counted when it was scheduled): never billed twice. */
  async publishPrepaid(app: AppRecord, prepared: PreparedPublish, now = Date.now()): Promise<PublishResult> {
    const [item] = results([prepared], await this.accept(app, [prepared], now));
    if (!item.ok) throw item.error;
    return item.result;
  }

  /**
   * Many publishes in one call: each item is checked on its own (a bad one fails alone), the valid ones
   * are charged together (a refusal refuses the whole call: nothing is accepted) and accepted in the
   * order given (so per channel they keep it), a hundred per script.
   */
  async publishBatch(ctx: AppContext, items: readonly PublishInput[], now = Date.now()): Promise<BatchItemResult[]> {
    const { maxItems, maxBytes } = this.config.batch;
    if (items.length > maxItems) throw new HeraldError('batch_too_large', `At most ${maxItems} items per batch; got ${items.length}`);
    const checked = await Promise.all(
      items.map(async (input) => {
        try {
          return { ok: true as const, prepared: await this.prepare(ctx, input) };
        } catch (e) {
          return { ok: false as const, error: asHeraldError(e) };
        }
      }),
    );
    const bytes = checked.reduce((n, c) => n + (c.ok ? Buffer.byteLength(c.prepared.content, 'utf8') : 0), 0);
    if (bytes > maxBytes) throw new HeraldError('batch_too_large', `At most ${maxBytes} bytes of messages per batch; got ${bytes}`);
    const valid = checked.flatMap((c) => (c.ok ? [c.prepared] : []));
    const accepted = valid.length > 0 ? await this.chargeAndAccept(ctx.app, valid, now) : [];
    let next = 0;
    return checked.map((c) => (c.ok ? accepted[next++] : c));
  }

  /**
   * Charges the app for publishes and accepts them: on one Redis, when they are one accept call (a single
   * publish, a batch of one channel), in that one script (ChannelLog.chargedInline); otherwise the charge
   * first, then `acceptCharged`. A refused charge throws its 429 and is remembered (RefusedApps).
   */
  private async chargeAndAccept(app: AppRecord, items: readonly PreparedPublish[], now: number): Promise<BatchItemResult[]> {
    this.refused.check(app.id, now);
    try {
      if (this.log.chargedInline(items)) return results(items, await this.accept(app, items, now, await this.limits.publishCharge(app.id, app.plan, now, items.length)));
      await this.limits.chargePublish(app.id, app.plan, now, items.length);
    } catch (e) {
      this.refused.remember(app.id, e, now);
      throw e;
    }
    return this.acceptCharged(app, items, now);
  }

  /**
   * Accepts publishes charged at `now`, and gives back the charge of those that were not stored (their
   * accept failed: Redis unreachable or refusing), so a message is never billed without being stored —
   * unless the refund fails too (the node is gone): then it stays counted, erring towards a charge
   * without a message, never a message without its charge. One stored but not acknowledged (its archive
   * feed failed, or its replicas did not confirm it: StoredUnacknowledged) keeps it.
   */
  private async acceptCharged(app: AppRecord, items: readonly PreparedPublish[], now: number): Promise<BatchItemResult[]> {
    const replies = await this.accept(app, items, now);
    const unstored = replies.filter((r) => r.status === 'rejected' && !(r.reason instanceof StoredUnacknowledged)).length;
    if (unstored > 0) await this.limits.refundPublish(app.id, now, unstored).catch(() => undefined);
    return results(items, replies);
  }

  /** Accepts in the order given: one script call per channel and hundred messages (ChannelLog.acceptMany), charging them first in it when given the `charge`. */
  private accept(app: AppRecord, items: readonly PreparedPublish[], now: number, charge?: PublishCharge): Promise<Array<PromiseSettledResult<Accepted>>> {
    const head = (p: PreparedPublish) => `{"type":"message","channel":${JSON.stringify(p.channel)},"id":"${p.messageId}","time":${now}${pusherFields(p)},"content":${p.content}`;
    const window = { historySize: app.historySize, historyTtlMs: app.historyTtlSeconds * 1000 };
    return this.log.acceptMany(app.id, items.map((p) => ({ channel: p.channel, messageId: p.messageId, frameHead: head(p), push: p.push })), window, this.config.idempotencyTtlMs, now, charge);
  }
}

function results(items: readonly PreparedPublish[], replies: Array<PromiseSettledResult<Accepted>>): BatchItemResult[] {
  return replies.map((r, i): BatchItemResult => {
    const p = items[i];
    if (r.status === 'rejected') {
      if (items.length === 1 && !(r.reason instanceof HeraldError)) throw r.reason; // a single publish keeps its own error
      return { ok: false, error: asHeraldError(r.reason) };
    }
    const accepted = r.value;
    if (accepted.channel !== p.channel) {
      return { ok: false, error: new HeraldError('message_id_conflict', `Message id ${p.messageId} was already used on channel ${accepted.channel}`) };
    }
    return { ok: true, result: { id: p.messageId, channel: p.channel, offset: accepted.offset, epoch: accepted.epoch, duplicate: !accepted.fresh } };
  });
}

/** The Pusher fields of a frame (an event name, the excluded socket, a client event's user), empty for Herald's publishes. */
function pusherFields(p: PreparedPublish): string {
  let out = '';
  if (p.event !== undefined) out += `,"event":${JSON.stringify(p.event)}`;
  if (p.exclude !== undefined) out += `,"exclude":${JSON.stringify(p.exclude)}`;
  if (p.pusherUserId !== undefined) out += `,"user_id":${JSON.stringify(p.pusherUserId)}`;
  return out;
}

function assertPayloadSize(app: AppRecord, content: string): void {
  const size = Buffer.byteLength(content, 'utf8');
  if (size > app.plan.maxPayloadBytes) {
    throw new HeraldError('payload_too_large', `Message is ${size} bytes; the plan allows ${app.plan.maxPayloadBytes}`);
  }
}

function asHeraldError(e: unknown): HeraldError {
  if (e instanceof HeraldError) return e;
  // Redis unreachable and the like: the item may be retried with the same id.
  return new HeraldError('unavailable', 'Temporarily unavailable: retry this item with the same id');
}
