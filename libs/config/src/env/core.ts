import { z } from 'zod';
import { HOUR, ms, port } from './common.js';
import { parseTrustedProxies, type ProxyRange } from './trusted-proxies.js';

/** The process: environment, Postgres, listeners and public URLs, logging, keys and sessions. */
export const coreEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/herald'),
  HERALD_HOST: z.string().default('0.0.0.0'),
  API_PORT: port(3000),
  GATEWAY_PORT: port(3001),
  /** MQTT over TCP (issue 17): a port, 0 for any free one (tests), or `off`. MQTT over WebSocket is /mqtt on GATEWAY_PORT. */
  MQTT_PORT: z.union([z.literal('off').transform(() => null), z.coerce.number().int().min(0).max(65535)]).default(1883),
  WORKER_PORT: port(3002),
  HERALD_PUBLIC_API_URL: z.string().optional(),
  HERALD_PUBLIC_GATEWAY_URL: z.string().optional(),
  /**
   * The reverse proxies in front (addresses or CIDR ranges, IPv4 and IPv6): only a request from one of
   * them has its X-Forwarded-For read for the client's address. Unset or empty: none is trusted.
   */
  HERALD_TRUST_PROXY: z
    .string()
    .optional()
    .transform((v, ctx) => parseTrustedProxies(v, ctx)),
  HERALD_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** /ready gives each dependency this long: a hung Postgres or Redis must fail the probe, not hang it. */
  HERALD_READY_TIMEOUT_MS: z.coerce.number().int().min(1).default(1_000),
  HERALD_KEY_GRACE_MS: ms(24 * HOUR),
  HERALD_KEY_CACHE_MS: ms(5_000),
  /** How often gateways re-check the keys of live connections (revocation takes effect within it). */
  HERALD_KEY_RECHECK_MS: ms(2_000),
  HERALD_IDEMPOTENCY_TTL_MS: ms(24 * HOUR),
  HERALD_SESSION_TTL_MS: ms(30 * 24 * HOUR),
});

type CoreEnv = z.infer<typeof coreEnv>;

export interface CoreConfig {
  env: CoreEnv['NODE_ENV'];
  databaseUrl: string;
  host: string;
  apiPort: number;
  gatewayPort: number;
  /** null: no MQTT listener on TCP. */
  mqttPort: number | null;
  workerPort: number;
  publicApiUrl: string;
  publicGatewayUrl: string;
  /** HERALD_TRUST_PROXY: empty when no proxy is trusted (libs/http's ClientAddresses). */
  trustProxy: readonly ProxyRange[];
  logLevel: CoreEnv['HERALD_LOG_LEVEL'];
  readyTimeoutMs: number;
  keyGraceMs: number;
  keyCacheMs: number;
  keyRecheckMs: number;
  idempotencyTtlMs: number;
  sessionTtlMs: number;
}

export function coreConfig(e: CoreEnv): CoreConfig {
  return {
    env: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    host: e.HERALD_HOST,
    apiPort: e.API_PORT,
    gatewayPort: e.GATEWAY_PORT,
    mqttPort: e.MQTT_PORT,
    workerPort: e.WORKER_PORT,
    publicApiUrl: e.HERALD_PUBLIC_API_URL ?? `http://localhost:${e.API_PORT}`,
    publicGatewayUrl: e.HERALD_PUBLIC_GATEWAY_URL ?? `http://localhost:${e.GATEWAY_PORT}`,
    trustProxy: e.HERALD_TRUST_PROXY,
    logLevel: e.HERALD_LOG_LEVEL,
    readyTimeoutMs: e.HERALD_READY_TIMEOUT_MS,
    keyGraceMs: e.HERALD_KEY_GRACE_MS,
    keyCacheMs: e.HERALD_KEY_CACHE_MS,
    keyRecheckMs: e.HERALD_KEY_RECHECK_MS,
    idempotencyTtlMs: e.HERALD_IDEMPOTENCY_TTL_MS,
    sessionTtlMs: e.HERALD_SESSION_TTL_MS,
  };
}
