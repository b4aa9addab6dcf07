import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { DeadLetters, RedisKeys, StreamGroupConsumer, createRedis, type StreamEntry, type RedisClient } from '@herald/bus';
import { ArchiveRepository, isTransientStoreError, type ArchiveRow } from '@herald/db';
import type { MessageFrame } from '@herald/protocol';
import { WebhookDispatcher } from '@herald/webhooks';
import { PushDispatcher, type AcceptedPush } from '@herald/push';
import { eventId, type ChannelEvent } from '@herald/bus';

const GROUP = 'archivers';

/**
 * Copies appended messages into Postgres in batches, through a Redis stream consumer group: an entry is
 * acknowledged only after its batch is stored, so a crashed worker's entries are claimed by another.
 */
@Injectable()
export class ArchiveConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private redis?: RedisClient;
  private consumer?: StreamGroupConsumer;
  private readonly logger;

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly keys: RedisKeys,
    private readonly archive: ArchiveRepository,
    private readonly webhooks: WebhookDispatcher,
    private readonly push: PushDispatcher,
    private readonly deadLetters: DeadLetters,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'archive' });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.redis = createRedis(this.config, 'subscriber', 'archive');
    const w = this.config.worker;
    this.consumer = new StreamGroupConsumer(this.redis, {
      stream: this.keys.archive,
      group: GROUP,
      batch: w.archiveBatch,
      blockMs: w.archiveBlockMs,
      claimIdleMs: this.config.worker.streamClaimIdleMs,
      handle: (entries) => this.store(entries),
      isTransient: isTransientStoreError,
      maxAttempts: w.streamMaxAttempts,
      retryMs: w.streamRetryMs,
      deadLetters: this.deadLetters,
      // after a partial batch, wait so the next insert carries more rows (fewer, larger writes)
      afterPartialBatch: () => new Promise((r) => setTimeout(r, w.archiveLingerMs)),
      logger: this.logger,
    });
    await this.consumer.start();
  }

  /**
   * Stores a batch, then acknowledges it. A batch that fails for its content is handled again entry by
   * entry by the consumer: a row refused for good because its app was deleted meanwhile is dropped;
   * any other row that keeps failing is parked in the dead-letter stream (StreamGroupConsumer).
   */
  private async store(entries: StreamEntry[]): Promise<string[]> {
    let rows: ArchiveRow[] = [];
    const pushes: AcceptedPush[] = [];
    for (const [, fields] of entries) {
      const row = toRow(fields);
      if (!row) continue;
      rows.push(row);
      const spec = fieldOf(fields, 'p');
      if (spec !== undefined) pushes.push({ appId: row.appId, channel: row.channel, epoch: row.epoch, offset: row.offset, messageId: row.messageId, spec });
    }
    this.injectFault(rows);
    try {
      await this.archive.insertBatch(rows);
    } catch (e) {
      if (rows.length !== 1 || !isOrphanRow(e)) throw e;
      rows = [];
      pushes.length = 0;
    }
    // message.published webhooks and push fan-outs for what is stored, before acknowledging: a crash
    // re-reads and re-dispatches, and their stable ids make that store and enqueue nothing twice.
    await this.webhooks.dispatch(rows.map(publishedEvent));
    await this.push.dispatch(pushes);
    return entries.map(([id]) => id);
  }

  /** HERALD_FAULT_FAIL_FIRST_ATTEMPT (tests): the first attempt of a listed message fails in this process. */
  private readonly faulted = new Set<string>();
  private injectFault(rows: ArchiveRow[]): void {
    const ids = this.config.worker.failFirstAttempt;
    if (ids.size === 0) return;
    const first = rows.find((r) => (ids.has('*') || ids.has(r.messageId)) && !this.faulted.has(r.messageId));
    if (!first) return;
    this.faulted.add(first.messageId);
    throw new Error(`injected failure for ${first.messageId}`);
  }

  /** Stops before the database closes, so no batch is cut in half by the shutdown. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.stop(); // ends within one HERALD_ARCHIVE_BLOCK_MS
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


function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

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
    event: typeof m.event === 'string' ? m.event : null,
    publishedAt: new Date(m.time),
  };
}
