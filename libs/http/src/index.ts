export * from './cors.js';
export * from './error-mapping.js';
export * from './error-writer.js';
export * from './exception.filter.js';
export * from './http-types.js';
export * from './json-depth.js';
export * from './request-log.js';
export * from './serve-before-framework.js';
