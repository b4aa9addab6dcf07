import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Arg = string | number;

/** A Lua script run by SHA, loaded on first NOSCRIPT (after a Redis restart, too). */
export class LuaScript {
  private readonly sha: string;

  constructor(
    readonly name: string,
    private readonly source: string,
    private readonly numKeys: number,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run<T>(redis: Redis, keys: string[], args: Arg[]): Promise<T> {
    if (keys.length !== this.numKeys) throw new Error(`${this.name}: expected ${this.numKeys} keys`);
    try {
      return (await redis.evalsha(this.sha, this.numKeys, ...keys, ...args)) as T;
    } catch (e) {
      if (!String((e as Error).message).includes('NOSCRIPT')) throw e;
      return (await redis.eval(this.source, this.numKeys, ...keys, ...args)) as T;
    }
  }
}
