import { z } from 'zod';

/** Redis: one server or a cluster, replicas a publish waits for, shards and work-queue shards, key prefix. */
export const redisEnv = z.object({
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
  /**
   * The BullMQ work queues (webhook deliveries, push fan-outs and deliveries, scheduled publishes) are each
   * split into this many queues, each its own cluster slot; every worker consumes all of them. Every process
   * must use the same number (a producer with more queues enqueues where no worker reads).
   */
  HERALD_QUEUE_SHARDS: z.coerce.number().int().min(1).max(64).default(8),
  HERALD_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,40}$/).default('herald:'),
});

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

export interface RedisConfig {
  redisUrl: string;
  /** Cluster mode's seed nodes; undefined on a single Redis (redisUrl). */
  redisClusterNodes: RedisNode[] | undefined;
  redisWaitReplicas: number;
  redisWaitTimeoutMs: number;
  redisShards: number;
  queueShards: number;
  redisPrefix: string;
}

export function redisConfig(e: z.infer<typeof redisEnv>): RedisConfig {
  return {
    redisUrl: e.REDIS_URL,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    redisWaitReplicas: e.HERALD_REDIS_WAIT_REPLICAS,
    redisWaitTimeoutMs: e.HERALD_REDIS_WAIT_TIMEOUT_MS,
    redisShards: e.HERALD_REDIS_SHARDS,
    queueShards: e.HERALD_QUEUE_SHARDS,
    redisPrefix: e.HERALD_REDIS_PREFIX,
  };
}
