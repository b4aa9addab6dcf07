import { z } from 'zod';
import type { CoreConfig } from './core.js';

/** Secrets production must not take from this public repository: the master key and the demo admin's password. */
export const secretsEnv = z.object({
  /** 32 random bytes, hex or base64: encrypts app secrets at rest. Required in production, and no public placeholder. */
  HERALD_MASTER_KEY: z.string().optional(),
  HERALD_DEMO_APP_ID: z.string().optional(),
  HERALD_DEMO_COMMON_KEY: z.string().optional(),
  HERALD_DEMO_SUBSCRIBE_KEY: z.string().optional(),
  HERALD_DEMO_SECRET: z.string().optional(),
  HERALD_DEMO_EMAIL: z.string().default('demo@herald.local'),
  /** The demo admin's password. Outside production it defaults to DEV_DEMO_PASSWORD; in production the seed generates one. */
  HERALD_DEMO_PASSWORD: z
    .string()
    .optional()
    .transform((v) => v || undefined),
});

export interface SecretsConfig {
  masterKey: Buffer;
  masterKeyIsDefault: boolean;
  demo: {
    appId?: string;
    commonKey?: string;
    subscribeKey?: string;
    secret?: string;
    email: string;
    /** Undefined only in production when not configured: the seed then generates one (DEV_DEMO_PASSWORD never). */
    password?: string;
  };
}

/** The demo admin's password outside production, printed in README and every `npm start` banner. */
export const DEV_DEMO_PASSWORD = 'herald-demo';

// Development-only fallback so `npm start` works out of the box; production refuses to start without a key.
const DEV_MASTER_KEY = Buffer.from('herald-development-master-key-32', 'utf8');
/**
 * Keys anyone can read in this repository: the development key and the placeholder docker-compose.yml
 * used to fall back to ("change-me-change-me-change-me-!!"). Secrets sealed with them are not secret.
 */
const PUBLIC_MASTER_KEYS = [DEV_MASTER_KEY, Buffer.from('6368616e67652d6d652d6368616e67652d6d652d6368616e67652d6d652d2121', 'hex')];
/** A random 32-byte key has about 29 distinct bytes; fewer than this is a typed placeholder ("00…", "abab…"). */
const MIN_DISTINCT_KEY_BYTES = 8;
const KEY_HOWTO = 'generate one with `openssl rand -hex 32` and keep it: changing it makes stored secrets undecryptable';

type NodeEnv = CoreConfig['env'];

function parseMasterKey(raw: string | undefined, env: NodeEnv): { key: Buffer; isDefault: boolean } {
  const production = env === 'production';
  if (!raw) {
    if (production) throw new Error(`HERALD_MASTER_KEY is required in production (32 random bytes, hex or base64): ${KEY_HOWTO}`);
    return { key: DEV_MASTER_KEY, isDefault: true };
  }
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new Error('HERALD_MASTER_KEY must be 32 bytes, given as 64 hex characters or base64');
  if (production && PUBLIC_MASTER_KEYS.some((k) => k.equals(key))) {
    throw new Error(`HERALD_MASTER_KEY is a public placeholder from Herald's repository, refused in production: ${KEY_HOWTO}`);
  }
  if (production && new Set(key).size < MIN_DISTINCT_KEY_BYTES) {
    throw new Error(`HERALD_MASTER_KEY is not random (${new Set(key).size} distinct bytes), refused in production: ${KEY_HOWTO}`);
  }
  return { key, isDefault: false };
}

/** Production never gets the published demo password: unset, the seed generates one and prints it once. */
function demoPassword(raw: string | undefined, env: NodeEnv): string | undefined {
  if (env !== 'production') return raw ?? DEV_DEMO_PASSWORD;
  if (raw === DEV_DEMO_PASSWORD) {
    throw new Error(`HERALD_DEMO_PASSWORD is the published default "${DEV_DEMO_PASSWORD}", refused in production: choose another, or leave it unset and the seed generates one`);
  }
  return raw;
}

/** The master key is checked first: with both wrong in production, its error is the one reported. */
export function secretsConfig(e: z.infer<typeof secretsEnv>, env: NodeEnv): SecretsConfig {
  const master = parseMasterKey(e.HERALD_MASTER_KEY, env);
  return {
    masterKey: master.key,
    masterKeyIsDefault: master.isDefault,
    demo: {
      appId: e.HERALD_DEMO_APP_ID,
      commonKey: e.HERALD_DEMO_COMMON_KEY,
      subscribeKey: e.HERALD_DEMO_SUBSCRIBE_KEY,
      secret: e.HERALD_DEMO_SECRET,
      email: e.HERALD_DEMO_EMAIL,
      password: demoPassword(e.HERALD_DEMO_PASSWORD, env),
    },
  };
}
