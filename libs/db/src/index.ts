export * from './prisma.service.js';
export * from './db.module.js';
export * from './key-resolver.js';
export * from './repositories/accounts.repository.js';
export * from './repositories/apps.repository.js';
export * from './repositories/keys.repository.js';
export * from './repositories/archive.repository.js';
export * from './access-tokens.js';
