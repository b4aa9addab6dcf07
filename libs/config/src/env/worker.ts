import { z } from 'zod';
import { HOUR, ms } from './common.js';

/** The worker: BullMQ jobs, the stream consumers (archive, webhook events), periodic sweeps. */
export const workerEnv = z.object({
  HERALD_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  HERALD_JOB_LOCK_MS: ms(30_000),
  HERALD_STALLED_INTERVAL_MS: ms(30_000),
  HERALD_JOB_ATTEMPTS: z.coerce.number().int().min(1).default(25),
  HERALD_JOB_BACKOFF_MS: ms(200),
  HERALD_ARCHIVE_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
  HERALD_ARCHIVE_BLOCK_MS: ms(1_000),
  /** After a partial batch, wait this long so the next insert carries more rows (fewer, larger writes). */
  HERALD_ARCHIVE_LINGER_MS: ms(200),
  /** Stream consumers (archive, webhook events): failed attempts of one entry before it is parked, and the pause between attempts. */
  HERALD_STREAM_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(5),
  HERALD_STREAM_RETRY_MS: ms(500),
  /** Entries a dead consumer read and never acknowledged are claimed by another after this long. */
  HERALD_STREAM_CLAIM_IDLE_MS: ms(30_000),
  /** Scheduled publishes waiting longer than this past their time are re-enqueued (lost job). */
  HERALD_SCHEDULE_SWEEP_MS: ms(30_000),
  HERALD_USAGE_ROLLUP_MS: ms(60_000),
  HERALD_RETENTION_INTERVAL_MS: ms(HOUR),

  /** Test-only fault injection: message ids (or `*`) whose first archive attempt fails in the worker. */
  HERALD_FAULT_FAIL_FIRST_ATTEMPT: z.string().default(''),
});

export interface WorkerConfig {
  worker: {
    concurrency: number;
    lockMs: number;
    stalledIntervalMs: number;
    attempts: number;
    backoffMs: number;
    archiveBatch: number;
    archiveBlockMs: number;
    archiveLingerMs: number;
    streamMaxAttempts: number;
    streamRetryMs: number;
    streamClaimIdleMs: number;
    scheduleSweepMs: number;
    usageRollupMs: number;
    retentionIntervalMs: number;
    failFirstAttempt: ReadonlySet<string>;
  };
}

export function workerConfig(e: z.infer<typeof workerEnv>): WorkerConfig {
  return {
    worker: {
      concurrency: e.HERALD_WORKER_CONCURRENCY,
      lockMs: e.HERALD_JOB_LOCK_MS,
      stalledIntervalMs: e.HERALD_STALLED_INTERVAL_MS,
      attempts: e.HERALD_JOB_ATTEMPTS,
      backoffMs: e.HERALD_JOB_BACKOFF_MS,
      archiveBatch: e.HERALD_ARCHIVE_BATCH,
      archiveBlockMs: e.HERALD_ARCHIVE_BLOCK_MS,
      archiveLingerMs: e.HERALD_ARCHIVE_LINGER_MS,
      streamMaxAttempts: e.HERALD_STREAM_MAX_ATTEMPTS,
      streamRetryMs: e.HERALD_STREAM_RETRY_MS,
      streamClaimIdleMs: e.HERALD_STREAM_CLAIM_IDLE_MS,
      scheduleSweepMs: e.HERALD_SCHEDULE_SWEEP_MS,
      usageRollupMs: e.HERALD_USAGE_ROLLUP_MS,
      retentionIntervalMs: e.HERALD_RETENTION_INTERVAL_MS,
      failFirstAttempt: new Set(e.HERALD_FAULT_FAIL_FIRST_ATTEMPT.split(',').filter(Boolean)),
    },
  };
}
