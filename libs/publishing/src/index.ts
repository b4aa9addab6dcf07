export * from './publish.service.js';
export * from './publishing.module.js';
export * from './scheduled-publish.service.js';
