export * from './history-frames.js';
export * from './history.service.js';
export * from './presence.service.js';
export * from './channels.module.js';
