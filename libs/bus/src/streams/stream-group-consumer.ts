import type { RedisClient } from '../redis.js';
import type { Logger } from '@herald/config';
import type { DeadLetters } from './dead-letters.js';

export type StreamEntry = [id: string, fields: string[]];

export interface StreamGroupOptions {
  stream: string;
  group: string;
  batch: number;
  blockMs: number;
  /** Entries of a dead consumer idle this long are claimed by this one. */
  claimIdleMs: number;
  /**
   * Stores or dispatches a batch; returns the ids it finished (acknowledged and deleted). When a batch
   * throws, or leaves ids out, its entries are handled one by one, so one entry that cannot be handled
   * never holds up the others: it is retried alone, and parked in the dead-letter stream after
   * `maxAttempts` failures.
   */
  handle(entries: StreamEntry[]): Promise<string[]>;
  /**
   * Failures of what the handler depends on (Postgres or Redis unreachable) rather than of an entry:
   * the batch is retried as it is, after a pause, and no entry's attempt is counted.
   */
  isTransient?(error: unknown): boolean;
  /** Failed attempts of one entry before it is parked (HERALD_STREAM_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Pause before entries that failed are read again (HERALD_STREAM_RETRY_MS). */
  retryMs: number;
  deadLetters: DeadLetters;
  /** Called after a batch smaller than `batch`, e.g. to linger so the next one carries more. */
  afterPartialBatch?(): Promise<void>;
  /** Called with the first entries of a quiet stream before handling, e.g. to gather a burst. */
  gather?(first: StreamEntry[], readMore: () => Promise<StreamEntry[]>): Promise<StreamEntry[]>;
  logger: Logger;
}

/**
 * A Redis stream read through a consumer group, at least once: entries are acknowledged only once
 * handled, a crashed consumer's entries are claimed after `claimIdleMs`, and the group is created
 * again after a Redis flush or a restart without persistence. An entry that keeps failing is parked after
 * a bounded number of attempts (DeadLetters) instead of being retried forever at the head of the
 * stream, which would stall every app's entries behind it. The archive and the webhook events
 * consumers are this loop with their own `handle`.
 */
export class StreamGroupConsumer {
  private readonly consumer = `c-${process.pid}-${Date.now().toString(36)}`;
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly redis: RedisClient,
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

  /**
   * Reads the stream until nothing is left — new entries, this consumer's own and every other consumer's
   * pending ones (claimed at once: their consumers are gone) — then returns how many it handled. For a
   * stream nothing writes any more: the previous version's unsharded feeds, read at worker start. Failed
   * entries are retried and parked as in the loop; `stop` ends it.
   */
  async drain(): Promise<number> {
    if ((await this.redis.exists(this.o.stream)) === 0) return 0;
    await this.ensureGroup();
    let handled = 0;
    while (!this.stopped) {
      try {
        let entries = await this.read('0', false);
        let retrying = entries.length > 0;
        if (entries.length === 0) {
          entries = ((await this.redis.xautoclaim(this.o.stream, this.o.group, this.consumer, 0, '0', 'COUNT', this.o.batch)) as [string, StreamEntry[]])[1];
          retrying = entries.length > 0;
        }
        if (entries.length === 0) entries = await this.read('>', false);
        if (entries.length === 0) break;
        await this.process(entries, retrying);
        handled += entries.length;
      } catch (e) {
        if (this.stopped) break;
        if (!(e instanceof EntriesFailed)) this.o.logger.warn({ err: (e as Error).message, stream: this.o.stream }, 'draining the stream failed; retrying');
        await new Promise((r) => setTimeout(r, this.o.retryMs));
      }
    }
    return handled;
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
        let retrying = entries.length > 0; // entries read before, which may carry failure counts
        retryOwn = retrying;
        if (entries.length === 0 && Date.now() - lastClaim > this.o.claimIdleMs) {
          lastClaim = Date.now();
          const claimed = (await this.redis.xautoclaim(this.o.stream, this.o.group, this.consumer, this.o.claimIdleMs, '0', 'COUNT', this.o.batch)) as [string, StreamEntry[]];
          entries = claimed[1];
          retrying = entries.length > 0;
        }
        if (entries.length === 0) {
          entries = await this.read('>', true);
          if (entries.length > 0 && entries.length < this.o.batch && this.o.gather) entries = await this.o.gather(entries, () => this.read('>', false));
        }
        if (entries.length > 0) await this.process(entries, retrying);
        if (entries.length < this.o.batch && !this.stopped) await this.o.afterPartialBatch?.();
      } catch (e) {
        if (this.stopped) break;
        if (String((e as Error).message).includes('NOGROUP')) {
          await this.ensureGroup().catch(() => undefined);
          continue;
        }
        retryOwn = true;
        if (!(e instanceof EntriesFailed)) this.o.logger.warn({ err: (e as Error).message, stream: this.o.stream }, 'stream batch failed; retrying');
        await new Promise((r) => setTimeout(r, this.o.retryMs));
      }
    }
  }

  /**
   * Handles a batch; if it fails for its content, handles its entries one by one and counts the
   * failures of those that fail alone, parking those out of attempts. Throws when something is left
   * pending, so it is read again after a pause.
   */
  private async process(entries: StreamEntry[], retrying: boolean): Promise<void> {
    let rest: StreamEntry[];
    let batchError: string | undefined;
    try {
      const done = await this.o.handle(entries);
      await this.finish(done, retrying);
      if (done.length === entries.length) return;
      const finished = new Set(done);
      rest = entries.filter(([id]) => !finished.has(id));
      batchError = 'not handled';
    } catch (e) {
      if (this.o.isTransient?.(e)) throw e;
      rest = entries;
      batchError = errorText(e);
    }
    let failed = 0;
    for (const entry of rest) {
      const [id, fields] = entry;
      // An entry that failed alone has had its attempt; one of a larger batch gets one of its own.
      let error = entries.length === 1 ? batchError : undefined;
      if (error === undefined) {
        try {
          const done = await this.o.handle([entry]);
          await this.finish(done, true);
          if (done.length === 1) continue;
          error = 'not handled';
        } catch (e) {
          if (this.o.isTransient?.(e)) throw e;
          error = errorText(e);
        }
      }
      const attempts = await this.o.deadLetters.failed(this.o.stream, id);
      if (attempts >= this.o.maxAttempts) {
        await this.o.deadLetters.park(this.o.stream, this.o.group, id, fields, error, attempts);
        this.o.logger.error({ stream: this.o.stream, entry: id, attempts, err: error }, 'entry parked in the dead-letter stream');
      } else {
        failed++;
        this.o.logger.warn({ stream: this.o.stream, entry: id, attempts, err: error }, 'entry failed; retrying it alone');
      }
    }
    if (failed > 0) throw new EntriesFailed(failed);
  }

  private async finish(done: string[], retrying: boolean): Promise<void> {
    if (done.length === 0) return;
    const m = this.redis.multi().xack(this.o.stream, this.o.group, ...done).xdel(this.o.stream, ...done);
    if (retrying) m.hdel(this.o.deadLetters.attemptsKey(this.o.stream), ...done);
    await m.exec();
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Some entries failed and stay pending (already logged one by one). */
class EntriesFailed extends Error {
  constructor(n: number) {
    super(`${n} entries failed`);
  }
}
