export * from './signature.js';
export * from './public-address.js';
export * from './webhook-url.js';
export * from './webhook-sender.js';
export * from './webhook-directory.js';
export * from './webhook-dispatcher.js';
export * from './webhooks.service.js';
export * from './webhooks.module.js';
