import { z } from 'zod';
import { coreConfig, coreEnv, type CoreConfig } from './env/core.js';
import { redisConfig, redisEnv, type RedisConfig } from './env/redis.js';
import { transportConfig, transportEnv, type TransportConfig } from './env/transport.js';
import { limitsConfig, limitsEnv, type LimitsConfig } from './env/limits.js';
import { workerConfig, workerEnv, type WorkerConfig } from './env/worker.js';
import { webhooksPushConfig, webhooksPushEnv, type WebhooksPushConfig } from './env/webhooks-push.js';
import { secretsConfig, secretsEnv, type SecretsConfig } from './env/secrets.js';

export type { RedisNode } from './env/redis.js';
export type { ProxyRange } from './env/trusted-proxies.js';
export { DEV_DEMO_PASSWORD } from './env/secrets.js';

/**
 * The only reader of process.env. Every timing is configurable so tests run with short ones.
 * Validated once at boot; a bad value stops the process with a message naming the variable.
 * Each area's variables, defaults and fields are in env/ (core, redis, transport, limits, worker,
 * webhooks-push, secrets).
 */
const schema = z.object({
  ...coreEnv.shape,
  ...redisEnv.shape,
  ...transportEnv.shape,
  ...limitsEnv.shape,
  ...workerEnv.shape,
  ...webhooksPushEnv.shape,
  ...secretsEnv.shape,
});

export type Env = z.infer<typeof schema>;

export interface HeraldConfig extends CoreConfig, RedisConfig, TransportConfig, LimitsConfig, WorkerConfig, WebhooksPushConfig, SecretsConfig {}

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
  const secrets = secretsConfig(e, e.NODE_ENV);
  return {
    ...coreConfig(e),
    ...redisConfig(e),
    ...transportConfig(e),
    ...limitsConfig(e),
    ...workerConfig(e),
    ...webhooksPushConfig(e),
    ...secrets,
  };
}
