import { Injectable } from '@nestjs/common';
import { pusherSignatureValid } from '@herald/auth';
import { AccessTokens, KeyResolver } from '@herald/db';
import { HeraldError } from '@herald/protocol';
import type { Session } from '../session/session.js';

/**
 * Pusher's private- and presence-channel authorization: `auth` = `{key}:{hex HMAC-SHA256(secret,
 * "{socket_id}:{channel}")}`, with `:{channel_data}` appended to the signed text on presence channels,
 * made by the customer's server with the app secret (the `pusher` library's authorizeChannel). The key
 * must be one of the session's app's keys and the signature one of its usable secrets', compared in
 * constant time.
 */
@Injectable()
export class PusherChannelAuth {
  constructor(
    private readonly keys: KeyResolver,
    private readonly secrets: AccessTokens,
  ) {}

  async check(session: Session, socketId: string, channel: string, auth: unknown, channelData?: string): Promise<void> {
    if (typeof auth !== 'string' || auth.length > 400) throw new HeraldError('unauthorized', `Private channel ${channel}: auth is required`);
    const colon = auth.lastIndexOf(':');
    const key = auth.slice(0, colon);
    const signature = auth.slice(colon + 1);
    const signer = colon > 0 ? await this.keys.resolve(key).catch(() => undefined) : undefined;
    const valid = signer?.app.id === session.appId && pusherSignatureValid(await this.secrets.secretsOf(session.appId, Date.now()), channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`, signature);
    if (!valid) throw new HeraldError('unauthorized', `Invalid signature for ${channel}`);
  }
}
