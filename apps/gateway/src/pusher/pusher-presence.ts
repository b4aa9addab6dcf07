import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { PresenceStore, assertUserId, parsePresenceData } from '@herald/bus';
import { HeraldError, type PresenceMember } from '@herald/protocol';
import { ChannelHub } from '../channels/channel-hub.js';
import { PresenceMembers } from '../session/presence-members.js';
import { SessionCore } from '../session/session-core.js';
import type { Session } from '../session/session.js';
import { PusherCache } from './pusher-cache.js';
import { PusherChannelAuth } from './pusher-channel-auth.js';
import { encodePusher } from './pusher-frames.js';
import type { PusherTransport } from './pusher-transport.js';

/**
 * A presence channel's `channel_data` (signed with the auth): `{"user_id": string | number, "user_info"?: {…}}`.
 * The id must be in Herald's user-id alphabet and the info a JSON object of at most 300 bytes (Herald's
 * presence rules); anything else is `invalid_request` (status 400), and nothing is joined.
 */
export function parseChannelData(text: string): PresenceMember {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HeraldError('invalid_request', 'channel_data must be JSON text');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HeraldError('invalid_request', 'channel_data must be a JSON object with a user_id');
  const { user_id: rawId, user_info: info } = value as { user_id?: unknown; user_info?: unknown };
  const id = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : rawId;
  try {
    return { id: assertUserId(id), data: parsePresenceData(info) };
  } catch (e) {
    throw e instanceof HeraldError ? new HeraldError('invalid_request', `channel_data: ${e.message}`) : e;
  }
}

/**
 * Pusher's `presence-` channels on Herald's presence: the same Redis member store and fan-out, so a
 * pusher-js member is in Herald's hereNow and a Herald member in pusher-js's `members`, across gateways.
 * A Pusher socket joins each presence channel as the member its signed `channel_data` names.
 */
@Injectable()
export class PusherPresence {
  constructor(
    private readonly core: SessionCore,
    private readonly hub: ChannelHub,
    private readonly members: PresenceMembers,
    private readonly store: PresenceStore,
    private readonly channelAuth: PusherChannelAuth,
    private readonly cache: PusherCache,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  /**
   * Checks the auth (over `socket_id:channel:channel_data`), subscribes, watches the channel's presence
   * events, joins, then sends `subscription_succeeded` with the members (ids, hash, count). Member events
   * that arrive meanwhile precede it (the snapshot, taken after, includes their effect), and so does a
   * `presence-cache-` channel's last event (replayed by the subscribe); a cache miss follows it.
   */
  async subscribe(session: Session, transport: PusherTransport, channel: string, data: Record<string, unknown>): Promise<void> {
    const channelData = typeof data.channel_data === 'string' ? data.channel_data : '';
    await this.channelAuth.check(session, transport.socketId, channel, data.auth, channelData);
    const member = parseChannelData(channelData);
    await this.members.assertRoom(session, channel, member.id);
    const since = await this.cache.since(session, channel); // presence-cache-: the last event, then subscription_succeeded
    const failed = await this.core.subscribe(session, [{ channel, since }], undefined, true);
    if (failed.length > 0) return; // the core sent its subscription_error
    try {
      transport.presenceUsers.set(channel, member.id);
      await this.hub.watch(session, channel);
      await this.members.join(session, channel, member);
      const here = await this.store.hereNow(session.appId, channel, this.config.maxPresenceMembers);
      const hash = Object.fromEntries(here.members.map((m) => [m.id, m.data]));
      const presence = { ids: Object.keys(hash), hash, count: here.amount };
      transport.write(encodePusher({ event: 'pusher_internal:subscription_succeeded', channel, data: JSON.stringify({ presence }) }));
      this.cache.subscribed(session, transport, channel, since);
    } catch (e) {
      await this.core.unsubscribe(session, [channel]);
      this.forget(session, transport, channel);
      throw e;
    }
  }

  /** After the core's unsubscribe (which leaves the member store): stop the channel's presence events. */
  forget(session: Session, transport: PusherTransport, channel: string): void {
    this.hub.unwatch(session, channel);
    transport.presenceUsers.delete(channel);
  }
}
