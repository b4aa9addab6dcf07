import { RedisKeys } from '@herald/bus';
import { uniquePrefix, type TestRedisCluster } from '@herald/testing';

/** The master port serving each of the `count` work queues of `prefix` (queue k's hash tag `{<prefix>bull:<k>}`). */
export async function queueMasters(cluster: TestRedisCluster, prefix: string, count: number): Promise<number[]> {
  const keys = new RedisKeys(prefix, true);
  return Promise.all(Array.from({ length: count }, (_, k) => cluster.ownerPort(keys.bullShardPrefix(k))));
}

/**
 * A key prefix whose `count` work queues sit on every master. Eight queues usually span three masters
 * (in about 88 % of prefixes); a test that checks the spread must not depend on that, so it picks one that does.
 */
export async function prefixWithQueuesOnEveryMaster(cluster: TestRedisCluster, count: number): Promise<string> {
  for (let tries = 0; tries < 100; tries++) {
    const prefix = uniquePrefix();
    if (new Set(await queueMasters(cluster, prefix, count)).size === cluster.masterPorts.length) return prefix;
  }
  throw new Error(`no prefix out of 100 put ${count} queues on all ${cluster.masterPorts.length} masters`);
}
