import { Redis } from 'ioredis';

/**
 * Deletes the keys under `prefix` and those whose hash tag starts with it (`{prefix…}`: the sharded
 * streams and indexes, the work queues, BullMQ's single prefix in cluster mode) (SCAN + UNLINK), best effort and bounded: at most `maxKeys` keys
 * and `timeoutMs` in all, so a stop() never hangs on a huge or unreachable Redis. Returns how many
 * keys were unlinked.
 */
export async function dropRedisPrefix(redisUrl: string, prefix: string, opts: { maxKeys?: number; timeoutMs?: number } = {}): Promise<number> {
  if (!/^[A-Za-z0-9_.:-]+$/.test(prefix)) throw new Error(`refusing to drop Redis prefix ${JSON.stringify(prefix)}: not a plain prefix`);
  const maxKeys = opts.maxKeys ?? 100_000;
  const deadline = Date.now() + (opts.timeoutMs ?? 5_000);
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  let dropped = 0;
  try {
    await redis.connect();
    for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length) dropped += await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0' && dropped < maxKeys && Date.now() < deadline);
    }
  } catch {
    // Best effort: a test may have killed its Redis on purpose.
  } finally {
    redis.disconnect();
  }
  return dropped;
}
