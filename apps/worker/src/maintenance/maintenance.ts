import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import { CONFIG, createLogger, type HeraldConfig, type Logger } from '@herald/config';
import { RedisKeys, createRedis, type RedisClient } from '@herald/bus';
import { MAINTENANCE_QUEUE } from '@herald/queue';

interface Task {
  everyMs: number;
  run: (now: number) => Promise<unknown>;
  /** A run of this task in this process is under way (a direct run and a job never overlap here). */
  running?: Promise<unknown>;
}

/**
 * The worker's periodic jobs (sweeps, roll-ups, retention, the scheduled-publish safety sweep): each is
 * a BullMQ job scheduler on the `maintenance` queue, so it runs once per period across all workers,
 * by whichever is free, instead of once per worker per period. Upserting a scheduler is idempotent, so
 * every worker declares them at start; a period of 0 removes it (tests and operators switch a job off).
 * The jobs are idempotent anyway, so a run overlapping another (a run longer than its period) is safe.
 * A failed run is logged and the next period tries again.
 */
@Injectable()
export class Maintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly tasks = new Map<string, Task>();
  private readonly logger: Logger;
  private queue?: Queue;
  private worker?: Worker;
  private connections: RedisClient[] = [];

  constructor(
    @Inject(CONFIG) private readonly config: HeraldConfig,
    private readonly keys: RedisKeys,
  ) {
    this.logger = createLogger(config, 'worker').child({ component: 'maintenance' });
  }

  /** Called by each task's owner before the application bootstraps (constructor or onModuleInit). */
  register(name: string, everyMs: number, run: (now: number) => Promise<unknown>): void {
    this.tasks.set(name, { everyMs, run });
  }

  /** Runs a task now in this process (tests, and the owners' own entry points); `nothing` if it is already running here. */
  async runNow<T>(name: string, now: number, nothing: T): Promise<T> {
    const task = this.tasks.get(name);
    if (!task) throw new Error(`no maintenance task ${name}`);
    if (task.running) return nothing;
    task.running = task.run(now);
    try {
      return (await task.running) as T;
    } catch (e) {
      this.logger.warn({ err: (e as Error).message, job: name }, `${name} failed`);
      return nothing;
    } finally {
      task.running = undefined;
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    const queueConnection = createRedis(this.config, 'bullmq', 'maintenance');
    const workerConnection = createRedis(this.config, 'bullmq', 'maintenance-worker');
    this.connections = [queueConnection, workerConnection];
    this.queue = new Queue(MAINTENANCE_QUEUE, { connection: queueConnection, prefix: this.keys.bullPrefix });
    for (const [name, task] of this.tasks) {
      if (task.everyMs > 0) {
        await this.queue.upsertJobScheduler(name, { every: task.everyMs }, { name, opts: { attempts: 1, removeOnComplete: true, removeOnFail: 100 } });
      } else {
        await this.queue.removeJobScheduler(name);
      }
    }
    this.worker = new Worker(MAINTENANCE_QUEUE, (job) => this.process(job), {
      connection: workerConnection,
      prefix: this.keys.bullPrefix,
      concurrency: Math.max(1, this.tasks.size),
    });
    this.worker.on('error', (err) => this.logger.error({ err: err.message }, 'maintenance worker error'));
  }

  private async process(job: Job): Promise<void> {
    const task = this.tasks.get(job.name);
    if (!task) return; // a scheduler a newer version declared: ignored here
    await this.runNow(job.name, Date.now(), undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await this.queue?.close();
    for (const c of this.connections) await c.quit().catch(() => c.disconnect());
  }
}
