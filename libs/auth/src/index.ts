export * from './ids.js';
export * from './app-keys.js';
export * from './secret-box.js';
export * from './passwords.js';
export * from './session-tokens.js';
export * from './access-token.js';
export * from './pusher-signature.js';
export * from './pusher-user.js';
