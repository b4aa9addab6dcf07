import { Injectable } from '@nestjs/common';
import { fromPusherChannel, pusherHmac, toPusherChannel } from '@herald/auth';
import { ChannelOccupancy, PresenceStore, type ChannelEvent } from '@herald/bus';
import { AccessTokens, KeysRepository } from '@herald/db';

/** One event of a Pusher webhook body (Pusher's names and fields). */
export type PusherWebhookEvent = { name: string; channel: string } & Record<string, unknown>;

/** Pusher's webhook body: `{time_ms, events}`. */
export interface PusherWebhookBody {
  time_ms: number;
  events: PusherWebhookEvent[];
}

const memberId = (data: unknown) => (data as { id?: unknown } | undefined)?.id;

/**
 * Herald's event as Pusher names it, or undefined for those Pusher has no webhook for
 * (`message.published`). `client.event` carries Pusher's fields in its data (event, data, socket_id,
 * user_id for presence channels).
 */
export function toPusherEvent(e: ChannelEvent): PusherWebhookEvent | undefined {
  const channel = toPusherChannel(e.channel);
  switch (e.type as string) {
    case 'channel.occupied':
      return { name: 'channel_occupied', channel };
    case 'channel.vacated':
      return { name: 'channel_vacated', channel };
    case 'member.joined':
      return { name: 'member_added', channel, user_id: memberId(e.data) };
    case 'member.left':
      return { name: 'member_removed', channel, user_id: memberId(e.data) };
    case 'client.event': {
      const d = (e.data ?? {}) as Record<string, unknown>;
      return { name: 'client_event', channel, event: d.event, data: d.data, socket_id: d.socket_id, ...(d.user_id === undefined ? {} : { user_id: d.user_id }) };
    }
    case 'cache.miss':
      return { name: 'cache_miss', channel };
    default:
      return undefined;
  }
}

/** Pusher holds these back a few seconds and drops them when undone meanwhile (a page reload). */
export function isHeldInPusherFormat(e: ChannelEvent): boolean {
  return e.type === 'channel.vacated' || e.type === 'member.left';
}

/**
 * The other half of the hold: a held Pusher-format delivery, due HERALD_PUSHER_WEBHOOK_HOLD_MS after its
 * events, is checked before its first send. `channel_vacated` of a channel occupied again and
 * `member_removed` of a user who is a member again are dropped; the body sent is what remains (the
 * delivery log keeps the body as made), or nothing when nothing remains.
 */
@Injectable()
export class PusherWebhookHold {
  constructor(
    private readonly occupancy: ChannelOccupancy,
    private readonly presence: PresenceStore,
  ) {}

  /** The body to send now, or undefined when every held event was undone. */
  async stillDue(appId: string, rawBody: string): Promise<string | undefined> {
    const body = JSON.parse(rawBody) as PusherWebhookBody;
    const undone = await Promise.all(body.events.map((e) => this.undone(appId, e)));
    if (!undone.includes(true)) return rawBody;
    const events = body.events.filter((_, i) => !undone[i]);
    return events.length === 0 ? undefined : JSON.stringify({ ...body, events });
  }

  private undone(appId: string, e: PusherWebhookEvent): Promise<boolean> {
    const channel = fromPusherChannel(e.channel);
    if (e.name === 'channel_vacated') return this.occupancy.isOccupied(appId, channel);
    if (e.name === 'member_removed' && typeof e.user_id === 'string') return this.presence.isMember(appId, channel, e.user_id);
    return Promise.resolve(false);
  }
}

/**
 * The headers Pusher's server libraries check (`pusher.webhook({headers, rawBody}).isValid()`):
 * `X-Pusher-Key`, the app's common key, and `X-Pusher-Signature`, the hex HMAC-SHA256 of the raw body
 * under the app's newest secret. Read at each attempt, so a rotated key or secret signs the next one.
 */
@Injectable()
export class PusherWebhookSigner {
  constructor(
    private readonly keys: KeysRepository,
    private readonly secrets: AccessTokens,
  ) {}

  async headers(appId: string, body: string, now = Date.now()): Promise<Record<string, string>> {
    const [common, secrets] = await Promise.all([this.keys.findActive(appId, 'common'), this.secrets.secretsOf(appId, now)]);
    const secret = secrets.at(-1);
    if (!common?.value || secret === undefined) throw new Error('the app has no active common key or secret to sign a Pusher webhook with');
    return { 'x-pusher-key': common.value, 'x-pusher-signature': pusherHmac(secret, body) };
  }
}
