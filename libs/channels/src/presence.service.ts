import { Injectable } from '@nestjs/common';
import { assertChannel } from '@herald/protocol';
import { PresenceStore, type PresenceMember } from '@herald/bus';
import { AccessTokens, type AppContext } from '@herald/db';

export interface HereNowResult {
  channel: string;
  amount: number;
  members: PresenceMember[];
}

/** hereNow for the REST API, the GoEasy-compatible route and the gateway. */
@Injectable()
export class PresenceService {
  constructor(
    private readonly presence: PresenceStore,
    private readonly access: AccessTokens,
  ) {}

  async hereNow(ctx: AppContext, q: { channel: unknown; limit: number; accessToken?: string; userId?: string }): Promise<HereNowResult> {
    const channel = assertChannel(q.channel);
    // Who is on a private channel is as private as its messages: same rule as history.
    await this.access.authorize(ctx, { channel, need: 'r', token: q.accessToken, userId: q.userId });
    const { amount, members } = await this.presence.hereNow(ctx.app.id, channel, q.limit);
    return { channel, amount, members };
  }
}
