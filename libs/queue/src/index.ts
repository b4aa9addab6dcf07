export * from './scheduled-job.js';
export * from './webhook-job.js';
export * from './push-job.js';
export * from './queue.module.js';
export * from './maintenance-job.js';
