import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { PushSpec } from '@herald/protocol';
import { PushProducer } from '@herald/queue';
import { PushRepository, type NewPushMessage } from '@herald/db';

/** An accepted message that carries push, as the archive feed gives it (field `p`: the PushSpec's JSON). */
export interface AcceptedPush {
  appId: string;
  channel: string;
  epoch: string;
  offset: number;
  messageId: string;
  spec: string;
}

/** A push message's id follows from its message's position, so a feed entry read twice makes one. */
export function pushMessageId(appId: string, channel: string, epoch: string, offset: number): string {
  return `pm_${createHash('sha256').update(`${appId}|${channel}|${epoch}|${offset}`).digest('base64url').slice(0, 24)}`;
}

/**
 * Turns accepted messages with push into push messages (Postgres) and one fan-out job each, before the
 * archive consumer acknowledges their feed entries: a crash in between re-reads them, and the ids make
 * the second pass store and enqueue nothing new (a message already fanned out is not enqueued again).
 */
@Injectable()
export class PushDispatcher {
  constructor(
    private readonly repo: PushRepository,
    private readonly producer: PushProducer,
  ) {}

  async dispatch(items: readonly AcceptedPush[]): Promise<number> {
    const rows = items.flatMap((i): NewPushMessage[] => {
      const spec = parseSpec(i.spec);
      if (!spec) return [];
      return [{ id: pushMessageId(i.appId, i.channel, i.epoch, i.offset), appId: i.appId, channel: i.channel, messageId: i.messageId, payload: spec.payload, ttl: spec.ttl, urgency: spec.urgency, topic: spec.topic ?? null, mode: spec.mode, subscriptionId: null }];
    });
    return this.send(rows);
  }

  /** Stores push messages and enqueues the fan-out of those not fanned out yet. */
  async send(rows: readonly NewPushMessage[]): Promise<number> {
    const pending = await this.repo.createMessages(rows);
    await this.producer.fanout(pending.map((m) => ({ appId: m.appId, pushMessageId: m.id })));
    return pending.length;
  }
}

/** A spec written by PublishService (parsePush); anything else is skipped, never retried forever. */
function parseSpec(text: string): PushSpec | undefined {
  try {
    const s = JSON.parse(text) as PushSpec;
    return typeof s.payload === 'string' && Number.isInteger(s.ttl) && typeof s.urgency === 'string' && typeof s.mode === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}
