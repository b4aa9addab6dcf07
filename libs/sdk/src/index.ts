import { HeraldClient } from './client.js';
import type { HeraldOptions } from './types.js';

declare const __HERALD_VERSION__: string;

/** The SDK's version (from libs/sdk/package.json at build time). */
export const version: string = typeof __HERALD_VERSION__ === 'string' ? __HERALD_VERSION__ : 'dev';

/** Creates a client: `Herald.init({ host: 'localhost:3001', appkey: 'BC-…' })`. */
export function init(options: HeraldOptions): HeraldClient {
  return new HeraldClient(options);
}

/** GoEasy's name for init(): `GoEasy.getInstance(...)` becomes `Herald.getInstance(...)`. */
export const getInstance = init;

export { HeraldClient };
export { HeraldError } from './errors.js';
export { Backoff } from './backoff.js';
export { ConnectionMachine, nextStatus, type ConnectionEvent } from './connection-state.js';
export { SubscriptionMachine, nextSubscriptionStatus, type SubscriptionEvent, type SubscriptionStatus } from './subscription-state.js';
export { RecentIds } from './lru.js';
export { encodeCursor, decodeCursor } from './cursor.js';
export { keepTokenFresh, tokenExpiry, REFRESH_LEAD_MS } from './token-refresh.js';
export type { PubSub } from './pubsub.js';
export type { Push } from './push/push.js';
export type * from './push/types.js';
export type * from './types.js';
export type { Position } from './wire.js';

const Herald = { init, getInstance, version, HeraldClient };
export default Herald;
export { Herald };
