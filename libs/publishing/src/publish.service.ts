import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError, assertChannel, assertMessageId } from '@herald/protocol';
import { newMessageId } from '@herald/auth';
import { AppLimits, ChannelLog } from '@herald/bus';
import { PublishProducer } from '@herald/queue';
import { AccessTokens, type AppContext } from '@herald/db';

export interface PublishInput {
  channel: unknown;
  message: unknown;
  id?: unknown;
  /** For private channels, unless the caller holds the secret. */
  accessToken?: string;
  /** The publishing connection's user id, if any (a token naming a user binds to it). */
  userId?: string;
}

export interface PublishResult {
  id: string;
  channel: string;
  offset: number;
  epoch: string;
  /** true when the id was already accepted within the idempotency window (nothing new stored). */
  duplicate: boolean;
}

/**
 * The one publish use case, for REST and for clients on the gateway: check, accept (offset assigned,
 * idempotent by id), enqueue; answered once the job is durably in Redis. Nothing half-done: a failure
 * before the job exists is healed by the publisher's retry with the same id, or by the worker's sweep.
 */
@Injectable()
export class PublishService {
  constructor(
    private readonly log: ChannelLog,
    private readonly producer: PublishProducer,
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly access: AccessTokens,
    private readonly limits: AppLimits,
  ) {}

  async publish(ctx: AppContext, input: PublishInput, now = Date.now()): Promise<PublishResult> {
    const { app } = ctx;
    if (ctx.keyKind === 'subscribe') throw new HeraldError('publish_forbidden', 'A subscribe key (BS-) may not publish');
    const channel = assertChannel(input.channel);
    await this.access.authorize(ctx, { channel, need: 'w', token: input.accessToken, userId: input.userId });
    if (input.message === undefined || input.message === null) throw new HeraldError('invalid_message');
    const messageId = input.id === undefined || input.id === null ? newMessageId() : assertMessageId(input.id);
    const content = JSON.stringify(input.message);
    const size = Buffer.byteLength(content, 'utf8');
    if (size > app.plan.maxPayloadBytes) {
      throw new HeraldError('payload_too_large', `Message is ${size} bytes; the plan allows ${app.plan.maxPayloadBytes}`);
    }
    await this.limits.chargePublish(app.id, app.plan, now);
    const head = `{"type":"message","channel":${JSON.stringify(channel)},"id":"${messageId}","time":${now},"content":${content}`;
    const accepted = await this.log.accept(app.id, channel, messageId, head, this.config.idempotencyTtlMs, now);
    if (accepted.channel !== channel) {
      throw new HeraldError('message_id_conflict', `Message id ${messageId} was already used on channel ${accepted.channel}`);
    }
    // Enqueued on duplicates too: if the first attempt died before its job existed, this heals it.
    await this.producer.enqueue({
      appId: app.id,
      channel,
      messageId,
      epoch: accepted.epoch,
      offset: accepted.offset,
      historySize: app.historySize,
      historyTtlMs: app.historyTtlSeconds * 1000,
    });
    return { id: messageId, channel, offset: accepted.offset, epoch: accepted.epoch, duplicate: !accepted.fresh };
  }
}
