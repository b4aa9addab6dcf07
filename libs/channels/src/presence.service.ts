import { Injectable } from '@nestjs/common';
import { HeraldError, assertChannel, isPrivateChannel } from '@herald/protocol';
import { PresenceStore, type PresenceMember } from '@herald/bus';
import type { AppContext } from '@herald/db';

export interface HereNowResult {
  channel: string;
  amount: number;
  members: PresenceMember[];
}

/** hereNow for the REST API, the GoEasy-compatible route and the gateway. */
@Injectable()
export class PresenceService {
  constructor(private readonly presence: PresenceStore) {}

  async hereNow(ctx: AppContext, q: { channel: unknown; limit: number }): Promise<HereNowResult> {
    const channel = assertChannel(q.channel);
    // Who is on a private channel is as private as its messages: same rule as history (secret only).
    if (ctx.keyKind !== 'secret' && isPrivateChannel(channel)) throw new HeraldError('token_required');
    const { amount, members } = await this.presence.hereNow(ctx.app.id, channel, q.limit);
    return { channel, amount, members };
  }
}
