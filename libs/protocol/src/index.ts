export * from './errors.js';
export * from './close-codes.js';
export * from './channel.js';
export * from './frames.js';
export * from './cursor.js';
export * from './content.js';
export * from './push.js';
