export * from './publish-job.js';
export * from './queue.module.js';
