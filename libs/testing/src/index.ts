export * from './wait.js';
export * from './processes.js';
export * from './http.js';
export * from './stack.js';
export * from './tenant.js';
export * from './ws-client.js';
export * from './redis-server.js';
export * from './redis-cleanup.js';
