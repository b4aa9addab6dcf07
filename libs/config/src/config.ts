import { z } from 'zod';

/**
 * The only reader of process.env. Every timing is configurable so tests run with short ones.
 * Validated once at boot; a bad value stops the process with a message naming the variable.
 */
const ms = (def: number) => z.coerce.number().int().nonnegative().default(def);
const port = (def: number) => z.coerce.number().int().min(0).max(65535).default(def);
const HOUR = 3_600_000;

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/herald'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** Seed nodes of a Redis Cluster, `host:port,host:port,…`: selects cluster mode, and REDIS_URL is then ignored. */
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((v, ctx) => parseClusterNodes(v, ctx)),
  /** Replicas a publish waits for (WAIT n) before it is acknowledged; 0 acknowledges on the master's write. */
  HERALD_REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(16).default(0),
  /** How long a publish waits for those replicas (WAIT's timeout) before it is answered 503 `not_replicated`. */
  HERALD_REDIS_WAIT_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(1_000),
  /**
   * The streams and indexes over all apps (archive and events feeds, usage, presence and occupancy
   * indexes) are split into this many shards, each its own cluster slot. Every process of a deployment
   * must use the same number; changing it leaves entries in the shards no longer read.
   */
  HERALD_REDIS_SHARDS: z.coerce.number().int().min(1).max(1024).default(8),
  HERALD_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,40}$/).default('herald:'),
  HERALD_HOST: z.string().default('0.0.0.0'),
  API_PORT: port(3000),
  GATEWAY_PORT: port(3001),
  /** MQTT over TCP (issue 17): a port, 0 for any free one (tests), or `off`. MQTT over WebSocket is /mqtt on GATEWAY_PORT. */
  MQTT_PORT: z.union([z.literal('off').transform(() => null), z.coerce.number().int().min(0).max(65535)]).default(1883),
  WORKER_PORT: port(3002),
  HERALD_PUBLIC_API_URL: z.string().optional(),
  HERALD_PUBLIC_GATEWAY_URL: z.string().optional(),
  /** 32 random bytes, hex or base64: encrypts app secrets at rest. Required in production, and no public placeholder. */
  HERALD_MASTER_KEY: z.string().optional(),
  HERALD_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** /ready gives each dependency this long: a hung Postgres or Redis must fail the probe, not hang it. */
  HERALD_READY_TIMEOUT_MS: z.coerce.number().int().min(1).default(1_000),

  HERALD_PING_INTERVAL_MS: ms(25_000),
  HERALD_PONG_TIMEOUT_MS: ms(10_000),
  HERALD_SSE_HEARTBEAT_MS: ms(15_000),
  HERALD_SSE_RETRY_MS: ms(2_000),
  HERALD_POLL_HOLD_MS: ms(25_000),
  /** A channel nobody holds stays subscribed this long (long-poll clients come back between polls). */
  HERALD_FANOUT_LINGER_MS: ms(5_000),
  HERALD_DRAIN_TIMEOUT_MS: ms(5_000),
  HERALD_PRESENCE_LEASE_MS: ms(30_000),
  /** Connection slots are leases renewed by their gateway: a dead gateway's slots free within it. */
  HERALD_CONN_LEASE_MS: ms(30_000),
  /** Publishes per second one connection may make, whatever its plan allows the app. */
  HERALD_CONN_PUBLISH_RATE: z.coerce.number().int().min(1).default(50),
  /** MQTT persistent sessions: how long a 3.1.1 session (cleanSession=false) is kept, and the cap on a 5.0 client's expiry. */
  HERALD_MQTT_SESSION_TTL_S: z.coerce.number().int().min(1).default(86_400),
  HERALD_MQTT_SESSION_MAX_S: z.coerce.number().int().min(1).default(7 * 86_400),
  /** How often a persistent MQTT session's positions are saved while connected (a gateway that dies loses less). */
  HERALD_MQTT_CHECKPOINT_MS: ms(5_000),
  HERALD_MAX_PRESENCE_MEMBERS: z.coerce.number().int().min(1).default(1000),
  HERALD_HEADERS_TIMEOUT_MS: ms(10_000),
  /** Transports the gateway serves, e.g. "sse,poll" to test the SDK's fallback against the real server. */
  HERALD_TRANSPORTS: z
    .string()
    .default('ws,sse,poll')
    .transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['ws', 'sse', 'poll'])).min(1)),
  HERALD_KEY_GRACE_MS: ms(24 * HOUR),
  HERALD_KEY_CACHE_MS: ms(5_000),
  /** How often gateways re-check the keys of live connections (revocation takes effect within it). */
  HERALD_KEY_RECHECK_MS: ms(2_000),
  HERALD_IDEMPOTENCY_TTL_MS: ms(24 * HOUR),
  HERALD_SESSION_TTL_MS: ms(30 * 24 * HOUR),
  /** Log-in and sign-up limits (Redis, shared by every API process), each over a fixed window of LOGIN_WINDOW. */
  HERALD_LOGIN_WINDOW_MS: z.coerce.number().int().min(1).default(15 * 60_000),
  HERALD_LOGIN_ACCOUNT_FAILURES: z.coerce.number().int().min(1).default(10),
  HERALD_LOGIN_ADDRESS_ATTEMPTS: z.coerce.number().int().min(1).default(200),
  HERALD_SIGNUP_ADDRESS_ATTEMPTS: z.coerce.number().int().min(1).default(20),
  /** Password hashes (argon2id, 64 MiB each) one API process runs at once; the rest wait up to HASH_WAIT, then 503. */
  HERALD_PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  HERALD_PASSWORD_HASH_WAIT_MS: ms(2_000),

  HERALD_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  HERALD_JOB_LOCK_MS: ms(30_000),
  HERALD_STALLED_INTERVAL_MS: ms(30_000),
  HERALD_JOB_ATTEMPTS: z.coerce.number().int().min(1).default(25),
  HERALD_JOB_BACKOFF_MS: ms(200),
  HERALD_ARCHIVE_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
  HERALD_ARCHIVE_BLOCK_MS: ms(1_000),
  /** After a partial batch, wait this long so the next insert carries more rows (fewer, larger writes). */
  HERALD_ARCHIVE_LINGER_MS: ms(200),
  /** Stream consumers (archive, webhook events): failed attempts of one entry before it is parked, and the pause between attempts. */
  HERALD_STREAM_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(5),
  HERALD_STREAM_RETRY_MS: ms(500),
  /** Entries a dead consumer read and never acknowledged are claimed by another after this long. */
  HERALD_STREAM_CLAIM_IDLE_MS: ms(30_000),

  /** Webhooks: one delivery's HTTP timeout; retries back off exponentially (with jitter) from BACKOFF up to MAX_BACKOFF for RETRY_PERIOD. */
  HERALD_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1).default(5_000),
  HERALD_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(1).default(2_000),
  HERALD_WEBHOOK_MAX_BACKOFF_MS: z.coerce.number().int().min(1).default(HOUR),
  HERALD_WEBHOOK_RETRY_PERIOD_MS: z.coerce.number().int().min(1).default(24 * HOUR),
  HERALD_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64),
  /** Deliveries of one app in flight at once, across every worker (its fair share of the pool above). */
  HERALD_WEBHOOK_APP_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(16),
  /** A delivery whose app is at its share waits this long (plus up to as much jitter) before trying again. */
  HERALD_WEBHOOK_DEFER_MS: z.coerce.number().int().min(1).default(1_000),
  /** An endpoint's circuit opens after this many consecutive failed attempts (timeouts, errors, non-2xx)… */
  HERALD_WEBHOOK_CIRCUIT_FAILURES: z.coerce.number().int().min(1).default(5),
  /** …and stays open this long; then one probe delivery goes (half-open): success closes it, failure reopens it. */
  HERALD_WEBHOOK_CIRCUIT_COOLDOWN_MS: z.coerce.number().int().min(1).default(30_000),
  /** Events read within this window are coalesced per app and endpoint into one delivery. */
  HERALD_WEBHOOK_LINGER_MS: ms(100),
  HERALD_WEBHOOK_MAX_EVENTS: z.coerce.number().int().min(1).max(1000).default(100),
  HERALD_WEBHOOK_CACHE_MS: ms(2_000),
  /** SSRF guard: webhooks may reach only public addresses unless this is `true` (local receivers in development and tests). */
  HERALD_WEBHOOKS_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Web Push (docs/push.md): the VAPID subject push services may contact (a mailto: or https: URL). */
  HERALD_PUSH_SUBJECT: z.string().regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'a mailto: address or an https: URL').default('mailto:push@herald.local'),
  /** One request to a push service; retries back off exponentially (with jitter) from BACKOFF up to MAX_BACKOFF, ATTEMPTS in all. */
  HERALD_PUSH_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  HERALD_PUSH_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  HERALD_PUSH_BACKOFF_MS: z.coerce.number().int().min(1).default(5_000),
  HERALD_PUSH_MAX_BACKOFF_MS: z.coerce.number().int().min(1).default(HOUR),
  /** A push service's Retry-After is honoured up to this long. */
  HERALD_PUSH_MAX_RETRY_AFTER_MS: z.coerce.number().int().min(1).default(HOUR),
  HERALD_PUSH_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64),
  /** Push requests of one app in flight at once, across every worker (its fair share of the pool above). */
  HERALD_PUSH_APP_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(32),
  /** A delivery whose app is at its share waits this long (plus up to as much jitter): short, a fan-out is a burst of one app. */
  HERALD_PUSH_DEFER_MS: z.coerce.number().int().min(1).default(250),
  /** A push service origin's circuit opens after this many consecutive failed requests, for the cool-down. */
  HERALD_PUSH_CIRCUIT_FAILURES: z.coerce.number().int().min(1).default(10),
  HERALD_PUSH_CIRCUIT_COOLDOWN_MS: z.coerce.number().int().min(1).default(30_000),
  /** Subscriptions read per step of a fan-out. */
  HERALD_PUSH_FANOUT_PAGE: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Gateways hold channels by lease (channel.occupied / vacated survive a crashed gateway). */
  HERALD_OCCUPANCY_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
  /** A channel stays occupied this long after its last local subscriber leaves (long-poll clients re-poll). */
  HERALD_OCCUPANCY_LINGER_MS: ms(5_000),
  HERALD_BATCH_MAX_ITEMS: z.coerce.number().int().min(1).default(1_000),
  HERALD_BATCH_MAX_BYTES: z.coerce.number().int().min(1).default(1_048_576),
  /** Pusher HTTP API: how far `auth_timestamp` may be from now (Pusher's 600 s), and channels per trigger (Pusher's 100). */
  HERALD_PUSHER_TIMESTAMP_WINDOW_MS: ms(600_000),
  HERALD_PUSHER_MAX_TRIGGER_CHANNELS: z.coerce.number().int().min(1).default(100),
  /** How often a gateway checks the subscriber counts of its Pusher sockets' channels (pusher_internal:subscription_count); 0 = never. */
  HERALD_PUSHER_SUBSCRIPTION_COUNT_MS: ms(5_000),
  /** Pusher-format webhooks hold channel_vacated / member_removed this long, dropped if undone meanwhile (Pusher's 3 s). */
  HERALD_PUSHER_WEBHOOK_HOLD_MS: ms(3_000),
  /** Scheduled publishes waiting longer than this past their time are re-enqueued (lost job). */
  HERALD_SCHEDULE_SWEEP_MS: ms(30_000),
  HERALD_USAGE_ROLLUP_MS: ms(60_000),
  HERALD_RETENTION_INTERVAL_MS: ms(HOUR),

  /** Test-only fault injection: message ids (or `*`) whose first archive attempt fails in the worker. */
  HERALD_FAULT_FAIL_FIRST_ATTEMPT: z.string().default(''),

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

export type Env = z.infer<typeof schema>;

export interface RedisNode {
  host: string;
  port: number;
}

/** `host:port,…` → nodes; empty or unset → undefined (single Redis). */
function parseClusterNodes(value: string | undefined, ctx: z.RefinementCtx): RedisNode[] | undefined {
  const parts = (value ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (!parts.length) return undefined;
  const nodes: RedisNode[] = [];
  for (const p of parts) {
    const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(p);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `expected host:port,host:port,… (got "${p}")` });
      return undefined;
    }
    nodes.push({ host: m[1].replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
}

export interface HeraldConfig {
  env: Env['NODE_ENV'];
  databaseUrl: string;
  redisUrl: string;
  /** Cluster mode's seed nodes; undefined on a single Redis (redisUrl). */
  redisClusterNodes: RedisNode[] | undefined;
  redisWaitReplicas: number;
  redisWaitTimeoutMs: number;
  redisShards: number;
  redisPrefix: string;
  host: string;
  apiPort: number;
  gatewayPort: number;
  /** null: no MQTT listener on TCP. */
  mqttPort: number | null;
  workerPort: number;
  publicApiUrl: string;
  publicGatewayUrl: string;
  masterKey: Buffer;
  masterKeyIsDefault: boolean;
  logLevel: Env['HERALD_LOG_LEVEL'];
  readyTimeoutMs: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  sseHeartbeatMs: number;
  sseRetryMs: number;
  pollHoldMs: number;
  fanoutLingerMs: number;
  drainTimeoutMs: number;
  presenceLeaseMs: number;
  connLeaseMs: number;
  connPublishRate: number;
  mqtt: { sessionTtlSeconds: number; sessionMaxSeconds: number; checkpointMs: number };
  maxPresenceMembers: number;
  headersTimeoutMs: number;
  transports: ReadonlySet<'ws' | 'sse' | 'poll'>;
  keyGraceMs: number;
  keyCacheMs: number;
  keyRecheckMs: number;
  idempotencyTtlMs: number;
  sessionTtlMs: number;
  login: {
    windowMs: number;
    accountFailures: number;
    addressAttempts: number;
    signupAddressAttempts: number;
    hashConcurrency: number;
    hashWaitMs: number;
  };
  worker: {
    concurrency: number;
    lockMs: number;
    stalledIntervalMs: number;
    attempts: number;
    backoffMs: number;
    archiveBatch: number;
    archiveBlockMs: number;
    archiveLingerMs: number;
    streamMaxAttempts: number;
    streamRetryMs: number;
    streamClaimIdleMs: number;
    scheduleSweepMs: number;
    usageRollupMs: number;
    retentionIntervalMs: number;
    failFirstAttempt: ReadonlySet<string>;
  };
  webhooks: {
    timeoutMs: number;
    backoffMs: number;
    maxBackoffMs: number;
    retryPeriodMs: number;
    concurrency: number;
    appConcurrency: number;
    deferMs: number;
    circuitFailures: number;
    circuitCooldownMs: number;
    lingerMs: number;
    maxEvents: number;
    cacheMs: number;
    allowPrivate: boolean;
  };
  push: {
    subject: string;
    timeoutMs: number;
    attempts: number;
    backoffMs: number;
    maxBackoffMs: number;
    maxRetryAfterMs: number;
    concurrency: number;
    appConcurrency: number;
    deferMs: number;
    circuitFailures: number;
    circuitCooldownMs: number;
    fanoutPage: number;
  };
  occupancyLeaseMs: number;
  occupancyLingerMs: number;
  batch: { maxItems: number; maxBytes: number };
  pusher: { timestampWindowMs: number; maxTriggerChannels: number; subscriptionCountMs: number; webhookHoldMs: number };
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

function parseMasterKey(raw: string | undefined, env: Env['NODE_ENV']): { key: Buffer; isDefault: boolean } {
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
function demoPassword(raw: string | undefined, env: Env['NODE_ENV']): string | undefined {
  if (env !== 'production') return raw ?? DEV_DEMO_PASSWORD;
  if (raw === DEV_DEMO_PASSWORD) {
    throw new Error(`HERALD_DEMO_PASSWORD is the published default "${DEV_DEMO_PASSWORD}", refused in production: choose another, or leave it unset and the seed generates one`);
  }
  return raw;
}

/** The process environment, for code that passes it on (test harnesses spawning the apps). */
export function environment(): NodeJS.ProcessEnv {
  return process.env;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): HeraldConfig {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const master = parseMasterKey(e.HERALD_MASTER_KEY, e.NODE_ENV);
  return {
    env: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    redisWaitReplicas: e.HERALD_REDIS_WAIT_REPLICAS,
    redisWaitTimeoutMs: e.HERALD_REDIS_WAIT_TIMEOUT_MS,
    redisShards: e.HERALD_REDIS_SHARDS,
    redisPrefix: e.HERALD_REDIS_PREFIX,
    host: e.HERALD_HOST,
    apiPort: e.API_PORT,
    gatewayPort: e.GATEWAY_PORT,
    mqttPort: e.MQTT_PORT,
    workerPort: e.WORKER_PORT,
    publicApiUrl: e.HERALD_PUBLIC_API_URL ?? `http://localhost:${e.API_PORT}`,
    publicGatewayUrl: e.HERALD_PUBLIC_GATEWAY_URL ?? `http://localhost:${e.GATEWAY_PORT}`,
    masterKey: master.key,
    masterKeyIsDefault: master.isDefault,
    logLevel: e.HERALD_LOG_LEVEL,
    readyTimeoutMs: e.HERALD_READY_TIMEOUT_MS,
    pingIntervalMs: e.HERALD_PING_INTERVAL_MS,
    pongTimeoutMs: e.HERALD_PONG_TIMEOUT_MS,
    sseHeartbeatMs: e.HERALD_SSE_HEARTBEAT_MS,
    sseRetryMs: e.HERALD_SSE_RETRY_MS,
    pollHoldMs: e.HERALD_POLL_HOLD_MS,
    fanoutLingerMs: e.HERALD_FANOUT_LINGER_MS,
    drainTimeoutMs: e.HERALD_DRAIN_TIMEOUT_MS,
    presenceLeaseMs: e.HERALD_PRESENCE_LEASE_MS,
    connLeaseMs: e.HERALD_CONN_LEASE_MS,
    connPublishRate: e.HERALD_CONN_PUBLISH_RATE,
    mqtt: { sessionTtlSeconds: e.HERALD_MQTT_SESSION_TTL_S, sessionMaxSeconds: e.HERALD_MQTT_SESSION_MAX_S, checkpointMs: e.HERALD_MQTT_CHECKPOINT_MS },
    maxPresenceMembers: e.HERALD_MAX_PRESENCE_MEMBERS,
    headersTimeoutMs: e.HERALD_HEADERS_TIMEOUT_MS,
    transports: new Set(e.HERALD_TRANSPORTS),
    keyGraceMs: e.HERALD_KEY_GRACE_MS,
    keyCacheMs: e.HERALD_KEY_CACHE_MS,
    keyRecheckMs: e.HERALD_KEY_RECHECK_MS,
    idempotencyTtlMs: e.HERALD_IDEMPOTENCY_TTL_MS,
    sessionTtlMs: e.HERALD_SESSION_TTL_MS,
    login: {
      windowMs: e.HERALD_LOGIN_WINDOW_MS,
      accountFailures: e.HERALD_LOGIN_ACCOUNT_FAILURES,
      addressAttempts: e.HERALD_LOGIN_ADDRESS_ATTEMPTS,
      signupAddressAttempts: e.HERALD_SIGNUP_ADDRESS_ATTEMPTS,
      hashConcurrency: e.HERALD_PASSWORD_HASH_CONCURRENCY,
      hashWaitMs: e.HERALD_PASSWORD_HASH_WAIT_MS,
    },
    worker: {
      concurrency: e.HERALD_WORKER_CONCURRENCY,
      lockMs: e.HERALD_JOB_LOCK_MS,
      stalledIntervalMs: e.HERALD_STALLED_INTERVAL_MS,
      attempts: e.HERALD_JOB_ATTEMPTS,
      backoffMs: e.HERALD_JOB_BACKOFF_MS,
      archiveBatch: e.HERALD_ARCHIVE_BATCH,
      archiveBlockMs: e.HERALD_ARCHIVE_BLOCK_MS,
      archiveLingerMs: e.HERALD_ARCHIVE_LINGER_MS,
      streamMaxAttempts: e.HERALD_STREAM_MAX_ATTEMPTS,
      streamRetryMs: e.HERALD_STREAM_RETRY_MS,
      streamClaimIdleMs: e.HERALD_STREAM_CLAIM_IDLE_MS,
      scheduleSweepMs: e.HERALD_SCHEDULE_SWEEP_MS,
      usageRollupMs: e.HERALD_USAGE_ROLLUP_MS,
      retentionIntervalMs: e.HERALD_RETENTION_INTERVAL_MS,
      failFirstAttempt: new Set(e.HERALD_FAULT_FAIL_FIRST_ATTEMPT.split(',').filter(Boolean)),
    },
    webhooks: {
      timeoutMs: e.HERALD_WEBHOOK_TIMEOUT_MS,
      backoffMs: e.HERALD_WEBHOOK_BACKOFF_MS,
      maxBackoffMs: e.HERALD_WEBHOOK_MAX_BACKOFF_MS,
      retryPeriodMs: e.HERALD_WEBHOOK_RETRY_PERIOD_MS,
      concurrency: e.HERALD_WEBHOOK_CONCURRENCY,
      appConcurrency: e.HERALD_WEBHOOK_APP_CONCURRENCY,
      deferMs: e.HERALD_WEBHOOK_DEFER_MS,
      circuitFailures: e.HERALD_WEBHOOK_CIRCUIT_FAILURES,
      circuitCooldownMs: e.HERALD_WEBHOOK_CIRCUIT_COOLDOWN_MS,
      lingerMs: e.HERALD_WEBHOOK_LINGER_MS,
      maxEvents: e.HERALD_WEBHOOK_MAX_EVENTS,
      cacheMs: e.HERALD_WEBHOOK_CACHE_MS,
      allowPrivate: e.HERALD_WEBHOOKS_ALLOW_PRIVATE,
    },
    push: {
      subject: e.HERALD_PUSH_SUBJECT,
      timeoutMs: e.HERALD_PUSH_TIMEOUT_MS,
      attempts: e.HERALD_PUSH_ATTEMPTS,
      backoffMs: e.HERALD_PUSH_BACKOFF_MS,
      maxBackoffMs: e.HERALD_PUSH_MAX_BACKOFF_MS,
      maxRetryAfterMs: e.HERALD_PUSH_MAX_RETRY_AFTER_MS,
      concurrency: e.HERALD_PUSH_CONCURRENCY,
      appConcurrency: e.HERALD_PUSH_APP_CONCURRENCY,
      deferMs: e.HERALD_PUSH_DEFER_MS,
      circuitFailures: e.HERALD_PUSH_CIRCUIT_FAILURES,
      circuitCooldownMs: e.HERALD_PUSH_CIRCUIT_COOLDOWN_MS,
      fanoutPage: e.HERALD_PUSH_FANOUT_PAGE,
    },
    occupancyLeaseMs: e.HERALD_OCCUPANCY_LEASE_MS,
    occupancyLingerMs: e.HERALD_OCCUPANCY_LINGER_MS,
    batch: { maxItems: e.HERALD_BATCH_MAX_ITEMS, maxBytes: e.HERALD_BATCH_MAX_BYTES },
    pusher: { timestampWindowMs: e.HERALD_PUSHER_TIMESTAMP_WINDOW_MS, maxTriggerChannels: e.HERALD_PUSHER_MAX_TRIGGER_CHANNELS, subscriptionCountMs: e.HERALD_PUSHER_SUBSCRIPTION_COUNT_MS, webhookHoldMs: e.HERALD_PUSHER_WEBHOOK_HOLD_MS },
    demo: {
      appId: e.HERALD_DEMO_APP_ID,
      commonKey: e.HERALD_DEMO_COMMON_KEY,
      subscribeKey: e.HERALD_DEMO_SUBSCRIBE_KEY,
      secret: e.HERALD_DEMO_SECRET,
      email: e.HERALD_DEMO_EMAIL,
      password: demoPassword(e.HERALD_DEMO_PASSWORD, e.NODE_ENV),
    },
  };
}
