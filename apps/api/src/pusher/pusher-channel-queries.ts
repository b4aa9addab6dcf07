import { Inject, Injectable } from '@nestjs/common';
import { USER_CHANNEL_PREFIX, isCacheChannel } from '@herald/auth';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { ChannelLog, ChannelOccupancy, PresenceStore } from '@herald/bus';
import type { AppContext } from '@herald/db';
import { PRESENCE_PREFIX, isValidChannel } from '@herald/protocol';
import { PusherHttpError } from './pusher-request-auth.js';

/** The attributes Pusher's `info` parameter may ask for. */
export type ChannelAttribute = 'user_count' | 'subscription_count' | 'cache';
export type ChannelAttributes = Partial<Record<'user_count' | 'subscription_count', number>>;
/** A cache channel's cached event as Pusher's HTTP API gives it: its data and the seconds it stays cached. */
export interface CachedEvent {
  data: string;
  ttl: number;
}

/** A listing of channels stops here (Pusher sets no bound; Herald's index scan needs one). */
export const MAX_LISTED_CHANNELS = 10_000;

const isPresence = (channel: string) => channel.startsWith(PRESENCE_PREFIX);

/**
 * Pusher's `info` parameter: a comma-separated list of attributes from `allowed`; an empty or absent
 * parameter asks for none. Anything else is Pusher's 400.
 */
export function parseInfo(raw: unknown, allowed: readonly ChannelAttribute[]): Set<ChannelAttribute> {
  if (raw === undefined || raw === null || raw === '') return new Set();
  if (typeof raw !== 'string') throw new PusherHttpError(400, 'info must be a comma-separated string');
  const wanted = new Set<ChannelAttribute>();
  for (const a of raw.split(',')) {
    const name = a.trim();
    if (!(allowed as readonly string[]).includes(name)) throw new PusherHttpError(400, `info may list only ${allowed.join(', ')}; got ${JSON.stringify(name.slice(0, 40))}`);
    wanted.add(name as ChannelAttribute);
  }
  return wanted;
}

export function assertPathChannel(name: string): string {
  if (!isValidChannel(name)) throw new PusherHttpError(400, `Invalid channel name ${JSON.stringify(String(name).slice(0, 40))}`);
  return name;
}

/**
 * What Pusher's HTTP API tells about channels, read from Herald's shared state in Redis: occupancy
 * (a channel is occupied while some gateway holds a subscriber of it; subscription counts are what the
 * holders last reported) and presence (members are distinct user ids). Every read is scoped by the
 * verified app's id.
 */
@Injectable()
export class PusherChannelQueries {
  constructor(
    private readonly occupancy: ChannelOccupancy,
    private readonly presence: PresenceStore,
    private readonly log: ChannelLog,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  /** The asked attributes of each channel; `user_count` only for presence channels (as Pusher). */
  async attributes(appId: string, channels: readonly string[], wanted: ReadonlySet<ChannelAttribute>): Promise<ChannelAttributes[]> {
    const out = channels.map((): ChannelAttributes => ({}));
    if (wanted.size === 0) return out;
    if (wanted.has('subscription_count')) {
      const counts = await this.occupancy.occupiedCounts(appId, channels);
      counts.forEach((c, i) => (out[i].subscription_count = c?.subscribers ?? 0));
    }
    if (wanted.has('user_count')) {
      const at = channels.flatMap((c, i) => (isPresence(c) ? [i] : []));
      const members = await this.presence.memberCounts(appId, at.map((i) => channels[i]));
      at.forEach((i, n) => (out[i].user_count = members[n]));
    }
    return out;
  }

  /** GET /apps/{id}/channels: occupied channels, by prefix; `user_count` only with a presence- prefix. */
  async list(ctx: AppContext, query: URLSearchParams): Promise<{ channels: Record<string, ChannelAttributes> }> {
    const prefix = query.get('filter_by_prefix') ?? '';
    if (prefix !== '' && !isValidChannel(prefix)) throw new PusherHttpError(400, 'Invalid filter_by_prefix');
    const wanted = parseInfo(query.get('info') ?? undefined, ['user_count']);
    if (wanted.has('user_count') && !prefix.startsWith(PRESENCE_PREFIX)) {
      throw new PusherHttpError(400, 'info=user_count needs filter_by_prefix=presence- (user counts exist only for presence channels)');
    }
    const occupied = await this.occupancy.occupiedWithPrefix(ctx.app.id, prefix, MAX_LISTED_CHANNELS);
    // Users' channels (sendToUser) are Herald's internal plumbing, not channels Pusher lists.
    const names = occupied.map((c) => c.channel).filter((c) => !c.startsWith(USER_CHANNEL_PREFIX));
    const attrs = await this.attributes(ctx.app.id, names, wanted);
    return { channels: Object.fromEntries(names.map((n, i) => [n, attrs[i]])) };
  }

  /**
   * GET /apps/{id}/channels/{name}: `occupied`, and the asked counts (`user_count` of a presence channel
   * only) and `cache` (a cache channel's last event, from the channel's history, absent when there is none).
   */
  async channel(ctx: AppContext, channel: string, query: URLSearchParams): Promise<{ occupied: boolean; cache?: CachedEvent } & ChannelAttributes> {
    const wanted = parseInfo(query.get('info') ?? undefined, ['user_count', 'subscription_count', 'cache']);
    if (wanted.has('user_count') && !isPresence(channel)) throw new PusherHttpError(400, 'info=user_count is only for presence channels');
    if (wanted.has('cache') && !isCacheChannel(channel)) throw new PusherHttpError(400, 'info=cache is only for cache channels');
    const [held] = await this.occupancy.occupiedCounts(ctx.app.id, [channel]);
    const [attrs] = await this.attributes(ctx.app.id, [channel], wanted);
    const cache = wanted.has('cache') ? await this.cached(ctx, channel) : undefined;
    return { occupied: held !== undefined, ...attrs, ...(cache ? { cache } : {}) };
  }

  /** A cache channel's last event, as a Pusher client would get it on subscribe, and how long it stays. */
  private async cached(ctx: AppContext, channel: string, now = Date.now()): Promise<CachedEvent | undefined> {
    const ttlMs = ctx.app.historyTtlSeconds * 1000;
    const page = await this.log.history(ctx.app.id, channel, { limit: 1, minTime: now - ttlMs });
    if (page.frames.length === 0) return undefined;
    const m = JSON.parse(page.frames[0]) as { content: unknown; event?: unknown; time: number };
    const data = typeof m.event === 'string' && typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
    return { data, ttl: Math.max(0, Math.round((m.time + ttlMs - now) / 1000)) };
  }

  /** GET /apps/{id}/channels/{name}/users: the presence channel's members (distinct user ids). */
  async users(ctx: AppContext, channel: string): Promise<{ users: Array<{ id: string }> }> {
    if (!isPresence(channel)) throw new PusherHttpError(400, 'Users exist only on presence channels');
    const { members } = await this.presence.hereNow(ctx.app.id, channel, this.config.maxPresenceMembers);
    return { users: members.map((m) => ({ id: m.id })) };
  }
}
