import { Queue, Worker, type Job, type WorkerListener, type WorkerOptions } from 'bullmq';
import type { HeraldConfig, Logger } from '@herald/config';
import { createRedis, type RedisClient } from '@herald/bus';
import { JobPool } from './job-pool.js';
import type { QueueShards } from './queue-shards.js';

/** Job states that mean the previous version's queue still has work (finished jobs do not). */
const UNFINISHED = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;
const DEFAULT_LEGACY_CHECK_MS = 10_000;
/** While Redis is away every Worker reports each failed retry: one line per kind of work this often. */
const ERROR_LOG_EVERY_MS = 5_000;

export interface ShardedWorkerOptions<T> {
  /** The queue name (SCHEDULED_QUEUE, WEBHOOK_QUEUE, …). */
  queue: string;
  /** The connections' name (`herald:<name>:bullmq`). */
  name: string;
  processor: (job: Job<T>, token?: string) => Promise<unknown>;
  /** Jobs this process runs at once over all the queues of this kind (JobPool). */
  concurrency: number;
  /** Passed to each BullMQ Worker (lock, stalled checks, backoff strategy). */
  worker?: Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency' | 'autorun'>;
  /** How often the previous version's queue is looked at (default 10 s; tests shorten it). */
  legacyCheckMs?: number;
  logger: Logger;
}

/**
 * The worker's side of one kind of work: a BullMQ Worker on each of its N queues (QueueShards), sharing
 * one connection for commands (each Worker adds its own blocking one) and one JobPool, so the process
 * runs at most `concurrency` jobs of this kind at once, from whichever queues they come. Each Worker may
 * take up to `concurrency` jobs, so under a backlog up to N × concurrency are active (locked, their locks
 * renewed), `concurrency` of them running; the rest wait in the pool.
 *
 * Upgrade: the previous version put every job of this kind in one queue (`QueueShards.legacyPrefix`).
 * That queue is checked every `legacyCheckMs`: while it holds unfinished jobs (waiting, delayed, retrying,
 * active) a Worker consumes it too, with the same processor and pool, keeping their attempts and delays;
 * once it is empty that Worker is closed. Nothing new writes the old queue; a process of the previous
 * version still running in a rolling upgrade may, and the next check picks that up.
 */
export class ShardedWorker<T> {
  private readonly pool: JobPool;
  private readonly workers: Worker<T>[] = [];
  /** Listeners to put on each Worker, the ones created later included. */
  private readonly listeners: Array<(w: Worker<T>) => void> = [];
  private connection?: RedisClient;
  private legacyQueue?: Queue<T>;
  private legacy?: Worker<T>;
  private legacyTimer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private closed = false;
  private closing?: Promise<void>;
  private lastErrorLog = 0;
  private unlogged = 0;

  constructor(
    private readonly config: HeraldConfig,
    private readonly shards: QueueShards,
    private readonly opts: ShardedWorkerOptions<T>,
  ) {
    this.pool = new JobPool(opts.concurrency);
  }

  start(): void {
    this.connection = createRedis(this.config, 'bullmq', this.opts.name);
    for (const k of this.shards.all()) this.workers.push(this.worker(this.shards.prefix(k)));
    this.legacyQueue = new Queue<T>(this.opts.queue, { connection: this.connection, prefix: this.shards.legacyPrefix });
    void this.checkLegacy();
    this.legacyTimer = setInterval(() => void this.checkLegacy(), this.opts.legacyCheckMs ?? DEFAULT_LEGACY_CHECK_MS);
    this.legacyTimer.unref();
  }

  /** A listener on every Worker, the previous version's queue's included. */
  on<U extends keyof WorkerListener<T>>(event: U, listener: WorkerListener<T>[U]): this {
    const add = (w: Worker<T>) => void w.on(event, listener);
    this.listeners.push(add);
    for (const w of [...this.workers, ...(this.legacy ? [this.legacy] : [])]) add(w);
    return this;
  }

  /** Whether a Worker is consuming the previous version's queue now. */
  get drainingLegacy(): boolean {
    return this.legacy !== undefined;
  }

  /**
   * Looks at the previous version's queue once: starts its Worker when it has unfinished jobs, closes it
   * when it has none. Calls overlap into one. Resolves when done (tests call it instead of waiting).
   */
  checkLegacy(): Promise<void> {
    this.checking ??= this.lookAtLegacy().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async lookAtLegacy(): Promise<void> {
    if (this.closed || !this.legacyQueue) return;
    let left: number;
    try {
      const counts = await this.legacyQueue.getJobCounts(...UNFINISHED);
      left = UNFINISHED.reduce((n, s) => n + (counts[s] ?? 0), 0);
    } catch (e) {
      this.opts.logger.warn({ err: (e as Error).message, queue: this.opts.queue }, "could not look at the previous version's queue; trying again later");
      return;
    }
    if (this.closed) return;
    if (left > 0 && !this.legacy) {
      this.opts.logger.info({ queue: this.opts.queue, jobs: left }, "running the jobs the previous version left in its single queue");
      this.legacy = this.worker(this.shards.legacyPrefix);
    } else if (left === 0 && this.legacy) {
      const legacy = this.legacy;
      this.legacy = undefined;
      await legacy.close();
      this.opts.logger.info({ queue: this.opts.queue }, "the previous version's queue is empty");
    }
  }

  private worker(prefix: string): Worker<T> {
    const w = new Worker<T>(this.opts.queue, (job, token) => this.pool.run(() => this.opts.processor(job, token)), {
      ...this.opts.worker,
      connection: this.connection!,
      prefix,
      concurrency: this.opts.concurrency,
    });
    // An 'error' nobody listens to would throw; they are connection trouble mostly, the same on every queue.
    w.on('error', (err) => this.logError(err, prefix));
    for (const add of this.listeners) add(w);
    return w;
  }

  private logError(err: Error, prefix: string): void {
    if (Date.now() - this.lastErrorLog < ERROR_LOG_EVERY_MS) {
      this.unlogged++;
      return;
    }
    this.opts.logger.error({ err: err.message, queue: this.opts.queue, prefix, moreSinceLastLine: this.unlogged }, 'queue worker error');
    this.lastErrorLog = Date.now();
    this.unlogged = 0;
  }

  /** Lets running jobs finish, then closes every Worker and the shared connection (once, however often called). */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    this.closed = true;
    clearInterval(this.legacyTimer);
    await this.checking;
    await Promise.all([...this.workers, ...(this.legacy ? [this.legacy] : [])].map((w) => w.close()));
    await this.legacyQueue?.close();
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
