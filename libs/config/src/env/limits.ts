import { z } from 'zod';
import { ms } from './common.js';

/** Limits outside an app's plan: per connection, per presence channel, per batch, and log-in / sign-up. */
export const limitsEnv = z.object({
  /** Connection slots are leases renewed by their gateway: a dead gateway's slots free within it. */
  HERALD_CONN_LEASE_MS: ms(30_000),
  /** Publishes per second one connection may make, whatever its plan allows the app. */
  HERALD_CONN_PUBLISH_RATE: z.coerce.number().int().min(1).default(50),
  HERALD_MAX_PRESENCE_MEMBERS: z.coerce.number().int().min(1).default(1000),
  /** Log-in and sign-up limits (Redis, shared by every API process), each over a fixed window of LOGIN_WINDOW. */
  HERALD_LOGIN_WINDOW_MS: z.coerce.number().int().min(1).default(15 * 60_000),
  HERALD_LOGIN_ACCOUNT_FAILURES: z.coerce.number().int().min(1).default(10),
  HERALD_LOGIN_ADDRESS_ATTEMPTS: z.coerce.number().int().min(1).default(200),
  HERALD_SIGNUP_ADDRESS_ATTEMPTS: z.coerce.number().int().min(1).default(20),
  /** Password hashes (argon2id, 64 MiB each) one API process runs at once; the rest wait up to HASH_WAIT, then 503. */
  HERALD_PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  HERALD_PASSWORD_HASH_WAIT_MS: ms(2_000),
  HERALD_BATCH_MAX_ITEMS: z.coerce.number().int().min(1).default(1_000),
  HERALD_BATCH_MAX_BYTES: z.coerce.number().int().min(1).default(1_048_576),
});

export interface LimitsConfig {
  connLeaseMs: number;
  connPublishRate: number;
  maxPresenceMembers: number;
  login: {
    windowMs: number;
    accountFailures: number;
    addressAttempts: number;
    signupAddressAttempts: number;
    hashConcurrency: number;
    hashWaitMs: number;
  };
  batch: { maxItems: number; maxBytes: number };
}

export function limitsConfig(e: z.infer<typeof limitsEnv>): LimitsConfig {
  return {
    connLeaseMs: e.HERALD_CONN_LEASE_MS,
    connPublishRate: e.HERALD_CONN_PUBLISH_RATE,
    maxPresenceMembers: e.HERALD_MAX_PRESENCE_MEMBERS,
    login: {
      windowMs: e.HERALD_LOGIN_WINDOW_MS,
      accountFailures: e.HERALD_LOGIN_ACCOUNT_FAILURES,
      addressAttempts: e.HERALD_LOGIN_ADDRESS_ATTEMPTS,
      signupAddressAttempts: e.HERALD_SIGNUP_ADDRESS_ATTEMPTS,
      hashConcurrency: e.HERALD_PASSWORD_HASH_CONCURRENCY,
      hashWaitMs: e.HERALD_PASSWORD_HASH_WAIT_MS,
    },
    batch: { maxItems: e.HERALD_BATCH_MAX_ITEMS, maxBytes: e.HERALD_BATCH_MAX_BYTES },
  };
}
