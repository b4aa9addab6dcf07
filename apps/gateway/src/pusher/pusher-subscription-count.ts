import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { ChannelOccupancy } from '@herald/bus';
import { PRESENCE_PREFIX } from '@herald/protocol';
import type { Session } from '../session/session.js';
import { encodePusher } from './pusher-frames.js';
import type { PusherTransport } from './pusher-transport.js';

/** This gateway's Pusher subscribers of one channel, each with the count it was last sent. */
interface Watched {
  appId: string;
  channel: string;
  subs: Map<Session, { transport: PusherTransport; sent?: number }>;
}

/**
 * Pusher's `pusher_internal:subscription_count` `{subscription_count: n}` for apps that enable it
 * (App.subscriptionCount), on every channel but presence ones (those have members). Every
 * HERALD_PUSHER_SUBSCRIPTION_COUNT_MS the gateway reads the cluster-wide subscriber count of each channel
 * its Pusher sockets hold (every gateway's report, Herald's own clients included: one channel for both)
 * and sends it to each of those sockets whose last one differs — a new subscriber gets it at the next
 * check. So a channel's subscribers hear of a change at most once per period, however busy it is.
 */
@Injectable()
export class PusherSubscriptionCount implements OnModuleInit, OnApplicationShutdown {
  private readonly channels = new Map<string, Watched>();
  private timer?: NodeJS.Timeout;
  private checking = false;
  private readonly logger;

  constructor(
    private readonly occupancy: ChannelOccupancy,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'pusher-subscription-count' });
  }

  onModuleInit(): void {
    const every = this.config.pusher.subscriptionCountMs;
    if (every === 0) return;
    this.timer = setInterval(() => void this.check(), every);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** A Pusher socket subscribed: it gets the channel's count from the next check on (unsubscribe and close are noticed there). */
  subscribed(session: Session, transport: PusherTransport, channel: string): void {
    if (!session.ctx.app.subscriptionCount || channel.startsWith(PRESENCE_PREFIX) || this.config.pusher.subscriptionCountMs === 0) return;
    const key = `${session.appId}|${channel}`;
    let w = this.channels.get(key);
    if (!w) this.channels.set(key, (w = { appId: session.appId, channel, subs: new Map() }));
    w.subs.set(session, { transport });
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const byApp = new Map<string, Watched[]>();
      for (const [key, w] of this.channels) {
        for (const s of w.subs.keys()) if (s.closed || !s.subscriptions.has(w.channel)) w.subs.delete(s);
        if (w.subs.size === 0) this.channels.delete(key);
        else {
          const list = byApp.get(w.appId);
          if (list) list.push(w);
          else byApp.set(w.appId, [w]);
        }
      }
      for (const [appId, watched] of byApp) {
        const counts = await this.occupancy.subscriberCounts(appId, watched.map((w) => w.channel));
        watched.forEach((w, i) => this.send(w, counts[i]));
      }
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'subscription counts not read');
    } finally {
      this.checking = false;
    }
  }

  private send(w: Watched, n: number): void {
    if (n === 0) return; // this gateway's own report has not reached Redis yet (written within 250 ms)
    const text = encodePusher({ event: 'pusher_internal:subscription_count', channel: w.channel, data: JSON.stringify({ subscription_count: n }) });
    for (const sub of w.subs.values()) {
      if (sub.sent === n) continue;
      sub.sent = n;
      sub.transport.write(text);
    }
  }
}
