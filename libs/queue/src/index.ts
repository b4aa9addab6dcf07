export * from './scheduled-job.js';
export * from './webhook-job.js';
export * from './push-job.js';
export * from './queue-shards.js';
export * from './sharded-queue.js';
export * from './sharded-worker.js';
export * from './queue.module.js';
export * from './maintenance-job.js';
