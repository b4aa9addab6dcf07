import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { RedisKeys, createRedis, parseEventEntry } from '@herald/bus';
import { WebhookDispatcher } from '@herald/webhooks';

const GROUP = 'webhooks';
const BATCH = 1000;
const CLAIM_IDLE_MS = 30_000;

type Entry = [id: string, fields: string[]];

/**
 * Turns the events stream (channel occupied/vacated, member joined/left — appended by the presence and
 * occupancy scripts) into webhook deliveries, through a consumer group: entries are acknowledged after
 * their deliveries are stored and enqueued, so a killed worker's entries are claimed and dispatched again,
 * which the deterministic delivery ids make harmless. Reading lingers HERALD_WEBHOOK_LINGER_MS after a
 * first entry, so a burst of events goes out as a few deliveries carrying many events.
 */
@Injectable()
export class EventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private redis?: Redis;
  private stopped = false;
  private loop?: Promise<void>;
  private readonly consumer = `c-${process.pid}-${Date.now().toString(36)}`;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly keys: RedisKeys,
    private readonly dispatcher: WebhookDispatcher,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'events' });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.redis = createRedis(this.config, 'subscriber', 'events');
    await this.ensureGroup();
    this.loop = this.run();
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.redis!.xgroup('CREATE', this.keys.events, GROUP, '0', 'MKSTREAM');
    } catch (e) {
      if (!String((e as Error).message).includes('BUSYGROUP')) throw e;
    }
  }

  private async read(id: string, block: boolean): Promise<Entry[]> {
    const args: Array<string | number> = ['GROUP', GROUP, this.consumer, 'COUNT', BATCH];
    if (block) args.push('BLOCK', this.config.worker.archiveBlockMs);
    const res = (await (this.redis!.xreadgroup as (...a: Array<string | number>) => Promise<unknown>)(...args, 'STREAMS', this.keys.events, id)) as [string, Entry[]][] | null;
    return res?.[0]?.[1] ?? [];
  }

  private async run(): Promise<void> {
    const redis = this.redis!;
    let lastClaim = 0;
    let retryOwn = true; // entries this consumer name never acknowledged cannot exist yet, but claimed ones can
    while (!this.stopped) {
      try {
        let entries: Entry[] = retryOwn ? await this.read('0', false) : [];
        retryOwn = false;
        if (entries.length === 0 && Date.now() - lastClaim > CLAIM_IDLE_MS) {
          lastClaim = Date.now();
          entries = ((await redis.xautoclaim(this.keys.events, GROUP, this.consumer, CLAIM_IDLE_MS, '0', 'COUNT', BATCH)) as [string, Entry[]])[1];
        }
        if (entries.length === 0) {
          entries = await this.read('>', true);
          if (entries.length > 0 && entries.length < BATCH && this.config.webhooks.lingerMs > 0) {
            await sleep(this.config.webhooks.lingerMs);
            entries = entries.concat(await this.read('>', false));
          }
        }
        if (entries.length === 0) continue;
        const events = entries.map(([id, fields]) => parseEventEntry(id, fields)).filter((e) => e !== undefined);
        await this.dispatcher.dispatch(events);
        const ids = entries.map(([id]) => id);
        await redis.multi().xack(this.keys.events, GROUP, ...ids).xdel(this.keys.events, ...ids).exec();
      } catch (e) {
        if (this.stopped) break;
        if (String((e as Error).message).includes('NOGROUP')) {
          await this.ensureGroup().catch(() => undefined);
          continue;
        }
        retryOwn = true;
        this.logger.warn({ err: (e as Error).message }, 'event dispatch failed; retrying');
        await sleep(500);
      }
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.loop?.catch(() => undefined);
    this.redis?.disconnect();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
