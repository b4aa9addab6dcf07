import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { RedisKeys, createRedis } from '@herald/bus';
import { ArchiveRepository, type ArchiveRow } from '@herald/db';
import type { MessageFrame } from '@herald/protocol';
import { WebhookDispatcher } from '@herald/webhooks';
import { eventId, type ChannelEvent } from '@herald/bus';

const GROUP = 'archivers';
const CLAIM_IDLE_MS = 30_000;

type Entry = [id: string, fields: string[]];

/**
 * Copies appended messages into Postgres in batches, through a Redis stream consumer group: an entry is
 * acknowledged only after its batch is stored, so a crashed worker's entries are claimed by another.
 */
@Injectable()
export class ArchiveConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private redis?: Redis;
  private stopped = false;
  private loop?: Promise<void>;
  private readonly consumer = `c-${process.pid}-${Date.now().toString(36)}`;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly keys: RedisKeys,
    private readonly archive: ArchiveRepository,
    private readonly webhooks: WebhookDispatcher,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'archive' });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.redis = createRedis(this.config, 'subscriber', 'archive');
    await this.ensureGroup();
    this.loop = this.run();
  }

  /** Also after a Redis flush or a restart without persistence, which drop the group. */
  private async ensureGroup(): Promise<void> {
    try {
      await this.redis!.xgroup('CREATE', this.keys.archive, GROUP, '0', 'MKSTREAM');
    } catch (e) {
      if (!String((e as Error).message).includes('BUSYGROUP')) throw e;
    }
  }

  private async run(): Promise<void> {
    const redis = this.redis!;
    let lastClaim = 0;
    let retryOwn = false; // after a failed store, our own unacknowledged entries come first
    while (!this.stopped) {
      try {
        let entries: Entry[] = [];
        if (retryOwn) {
          const own = (await redis.xreadgroup('GROUP', GROUP, this.consumer, 'COUNT', this.config.worker.archiveBatch, 'STREAMS', this.keys.archive, '0')) as [string, Entry[]][] | null;
          entries = own?.[0]?.[1] ?? [];
          retryOwn = entries.length > 0;
        }
        if (entries.length === 0 && Date.now() - lastClaim > CLAIM_IDLE_MS) {
          lastClaim = Date.now();
          const claimed = (await redis.xautoclaim(this.keys.archive, GROUP, this.consumer, CLAIM_IDLE_MS, '0', 'COUNT', this.config.worker.archiveBatch)) as [string, Entry[]];
          entries = claimed[1];
        }
        if (entries.length === 0) {
          const res = (await redis.xreadgroup('GROUP', GROUP, this.consumer, 'COUNT', this.config.worker.archiveBatch, 'BLOCK', this.config.worker.archiveBlockMs, 'STREAMS', this.keys.archive, '>')) as [string, Entry[]][] | null;
          entries = res?.[0]?.[1] ?? [];
        }
        if (entries.length > 0) await this.store(redis, entries);
        if (entries.length < this.config.worker.archiveBatch && !this.stopped) await sleep(this.config.worker.archiveLingerMs);
      } catch (e) {
        if (this.stopped) break;
        if (String((e as Error).message).includes('NOGROUP')) {
          await this.ensureGroup().catch(() => undefined);
          continue;
        }
        retryOwn = true;
        this.logger.warn({ err: (e as Error).message }, 'archive batch failed; retrying');
        await sleep(500);
      }
    }
  }

  /**
   * Stores a batch, then acknowledges what is stored. If the batch fails, rows are tried one by one:
   * a row refused for good (its app was deleted meanwhile) is dropped; any other failure (Postgres
   * down) leaves the rest unacknowledged, to be read again.
   */
  private async store(redis: Redis, entries: Entry[]): Promise<void> {
    const parsed = entries.map(([id, fields]) => ({ id, row: toRow(fields) }));
    let done: string[];
    try {
      await this.archive.insertBatch(parsed.flatMap((p) => (p.row ? [p.row] : [])));
      done = parsed.map((p) => p.id);
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'batch insert failed, storing rows one by one');
      done = [];
      for (const p of parsed) {
        try {
          if (p.row) await this.archive.insertBatch([p.row]);
        } catch (rowError) {
          if (!isOrphanRow(rowError)) break;
        }
        done.push(p.id);
      }
    }
    // message.published webhooks for what is stored, before acknowledging: a crash re-reads and re-dispatches (ids are stable).
    const stored = new Set(done);
    await this.webhooks.dispatch(parsed.flatMap((p) => (p.row && stored.has(p.id) ? [publishedEvent(p.row)] : [])));
    if (done.length > 0) await redis.multi().xack(this.keys.archive, GROUP, ...done).xdel(this.keys.archive, ...done).exec();
    if (done.length < parsed.length) throw new Error(`${parsed.length - done.length} archive rows not stored yet`);
  }

  /** Stops before the database closes, so no batch is cut in half by the shutdown. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.loop?.catch(() => undefined); // ends within one HERALD_ARCHIVE_BLOCK_MS
    this.redis?.disconnect();
  }
}

/** A foreign key violation: the row's app no longer exists, so the row can never be stored. */
function isOrphanRow(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err.code === 'P2003' || /foreign key/i.test(err.message ?? '');
}

function publishedEvent(r: ArchiveRow): ChannelEvent {
  return {
    id: eventId(r.appId, r.channel, r.epoch, r.offset),
    type: 'message.published',
    appId: r.appId,
    channel: r.channel,
    time: r.publishedAt.getTime(),
    data: { id: r.messageId, offset: r.offset, epoch: r.epoch, content: r.content },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function toRow(fields: string[]): ArchiveRow | undefined {
  let key: string | undefined;
  let frame: string | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 'k') key = fields[i + 1];
    else if (fields[i] === 'f') frame = fields[i + 1];
  }
  if (!key || !frame) return undefined;
  const m = JSON.parse(frame) as MessageFrame;
  return {
    appId: key.slice(0, key.indexOf('|')),
    channel: m.channel,
    epoch: m.epoch,
    offset: m.offset,
    messageId: m.id,
    content: m.content,
    publishedAt: new Date(m.time),
  };
}
