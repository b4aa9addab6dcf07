import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { ChannelLog, EventsFeed } from '@herald/bus';
import type { Position } from '@herald/protocol';
import { isCacheChannel } from '@herald/auth';
import { readLiveFrame } from '../channels/live-frame.js';
import type { Session } from '../session/session.js';
import { encodePusher } from './pusher-frames.js';
import type { PusherTransport } from './pusher-transport.js';


/**
 * Pusher's cache channels on Herald's channel log: the cached event is the channel's last message in
 * history. A subscriber resumes from just before it, so the hub replays it right after the subscribe,
 * followed by anything newer, with no gap and no duplicate. A channel with nothing in its history
 * window answers `pusher:cache_miss` and appends `cache.miss` to the events feed (webhooks).
 */
@Injectable()
export class PusherCache {
  private readonly logger;

  constructor(
    private readonly log: ChannelLog,
    private readonly feed: EventsFeed,
    @Inject(CONFIG) config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'pusher-cache' });
  }

  /** Where to subscribe a cache channel from so its last event comes first; undefined when it has none (or is no cache channel). */
  async since(session: Session, channel: string): Promise<Position | undefined> {
    if (!isCacheChannel(channel)) return undefined;
    const app = session.ctx.app;
    const page = await this.log.history(app.id, channel, { limit: 1, minTime: Date.now() - app.historyTtlSeconds * 1000 });
    const last = page.frames[0] === undefined ? undefined : readLiveFrame(page.frames[0]);
    return last && { epoch: last.epoch, offset: last.offset - 1 };
  }

  /** After a successful subscribe from `since`: a cache channel with no last event is a miss. */
  subscribed(session: Session, transport: PusherTransport, channel: string, since: Position | undefined): void {
    if (since !== undefined || !isCacheChannel(channel)) return;
    transport.write(encodePusher({ event: 'pusher:cache_miss', channel, data: '{}' }));
    this.feed.append(session.appId, channel, 'cache.miss', { channel }).catch((e: Error) => this.logger.warn({ err: e.message }, 'cache.miss not appended to the events feed'));
  }
}
