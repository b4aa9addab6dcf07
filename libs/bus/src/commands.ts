import { Cluster } from 'ioredis';
import type { RedisClient } from './redis.js';

/** One Redis command: its name and arguments. */
export type Command = [name: string, ...args: Array<string | number>];

export type Replies = Array<[Error | null, unknown]>;

/**
 * Sends commands whose keys may sit in many slots (one per app or channel) in one go, and gives their
 * replies in order as `pipeline.exec()` does. On one Redis: one pipeline. On a cluster a pipeline must
 * stay on one node, so each command goes on its own and the client's auto-pipelining groups them per
 * node: still one round trip per node, never CROSSSLOT. Not atomic, as a pipeline is not.
 */
export async function sendAll(redis: RedisClient, commands: readonly Command[]): Promise<Replies> {
  if (commands.length === 0) return [];
  if (redis instanceof Cluster) {
    return Promise.all(
      commands.map(([name, ...args]) =>
        redis.call(name, args).then(
          (v): [null, unknown] => [null, v],
          (e: Error): [Error, null] => [e, null],
        ),
      ),
    );
  }
  return ((await redis.pipeline(commands.map((c) => [...c])).exec()) ?? []) as Replies;
}

/** The replies' values; throws the first error. */
export function valuesOf(replies: Replies): unknown[] {
  return replies.map(([err, v]) => {
    if (err) throw err;
    return v;
  });
}

/** HGETALL's reply through `call` (a flat array) or a pipeline (an object). */
export function hashOf(reply: unknown): Record<string, string> {
  if (!Array.isArray(reply)) return (reply ?? {}) as Record<string, string>;
  const out: Record<string, string> = {};
  for (let i = 0; i < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}
