export * from './publish.service.js';
export * from './publishing.module.js';
