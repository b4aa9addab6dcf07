export * from './redis.js';
export * from './redis-keys.js';
export * from './lua-script.js';
export * from './channel-log.js';
export * from './presence-store.js';
export * from './fanout-subscriber.js';
export * from './bus.module.js';
export * from './app-limits.js';
