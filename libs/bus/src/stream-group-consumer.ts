import type { Redis } from 'ioredis';
import type { Logger } from '@herald/config';

export type StreamEntry = [id: string, fields: string[]];

export interface StreamGroupOptions {
  stream: string;
  group: string;
  batch: number;
  blockMs: number;
  /** Entries of a dead consumer idle this long are claimed by this one. */
  claimIdleMs: number;
  /**
   * Stores or dispatches a batch; returns the ids it finished (acknowledged and deleted). Ids left
   * out, or a throw, leave entries pending: they are read again first, after a short pause.
   */
  handle(entries: StreamEntry[]): Promise<string[]>;
  /** Called after a batch smaller than `batch`, e.g. to linger so the next one carries more. */
  afterPartialBatch?(): Promise<void>;
  /** Called with the first entries of a quiet stream before handling, e.g. to gather a burst. */
  gather?(first: StreamEntry[], readMore: () => Promise<StreamEntry[]>): Promise<StreamEntry[]>;
  logger: Logger;
}

const RETRY_PAUSE_MS = 500;

/**
 * A Redis stream read through a consumer group, at least once: entries are acknowledged only once
 * handled, a crashed consumer's entries are claimed after `claimIdleMs`, and the group is created
 * again after a Redis flush or a restart without persistence. The archive and the webhook events
 * consumers are this loop with their own `handle`.
 */
export class StreamGroupConsumer {
  private readonly consumer = `c-${process.pid}-${Date.now().toString(36)}`;
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly redis: Redis,
    private readonly o: StreamGroupOptions,
  ) {}

  async start(): Promise<void> {
    await this.ensureGroup();
    this.loop = this.run();
  }

  /** Ends within one `blockMs`; the caller then closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop?.catch(() => undefined);
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.o.stream, this.o.group, '0', 'MKSTREAM');
    } catch (e) {
      if (!String((e as Error).message).includes('BUSYGROUP')) throw e;
    }
  }

  private async read(id: '0' | '>', block: boolean): Promise<StreamEntry[]> {
    const args: Array<string | number> = ['GROUP', this.o.group, this.consumer, 'COUNT', this.o.batch];
    if (block) args.push('BLOCK', this.o.blockMs);
    const xreadgroup = this.redis.xreadgroup as (...a: Array<string | number>) => Promise<unknown>;
    const res = (await xreadgroup.call(this.redis, ...args, 'STREAMS', this.o.stream, id)) as [string, StreamEntry[]][] | null;
    return res?.[0]?.[1] ?? [];
  }

  private async run(): Promise<void> {
    let lastClaim = 0;
    let retryOwn = true; // our own unacknowledged entries come first (after a failure, or a restart)
    while (!this.stopped) {
      try {
        let entries: StreamEntry[] = retryOwn ? await this.read('0', false) : [];
        retryOwn = entries.length > 0;
        if (entries.length === 0 && Date.now() - lastClaim > this.o.claimIdleMs) {
          lastClaim = Date.now();
          const claimed = (await this.redis.xautoclaim(this.o.stream, this.o.group, this.consumer, this.o.claimIdleMs, '0', 'COUNT', this.o.batch)) as [string, StreamEntry[]];
          entries = claimed[1];
        }
        if (entries.length === 0) {
          entries = await this.read('>', true);
          if (entries.length > 0 && entries.length < this.o.batch && this.o.gather) entries = await this.o.gather(entries, () => this.read('>', false));
        }
        if (entries.length > 0) {
          const done = await this.o.handle(entries);
          if (done.length > 0) await this.redis.multi().xack(this.o.stream, this.o.group, ...done).xdel(this.o.stream, ...done).exec();
          if (done.length < entries.length) throw new Error(`${entries.length - done.length} entries not handled yet`);
        }
        if (entries.length < this.o.batch && !this.stopped) await this.o.afterPartialBatch?.();
      } catch (e) {
        if (this.stopped) break;
        if (String((e as Error).message).includes('NOGROUP')) {
          await this.ensureGroup().catch(() => undefined);
          continue;
        }
        retryOwn = true;
        this.o.logger.warn({ err: (e as Error).message, stream: this.o.stream }, 'stream batch failed; retrying');
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
      }
    }
  }
}
