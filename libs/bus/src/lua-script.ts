import { createHash } from 'node:crypto';
import type { RedisClient } from './redis.js';

type Arg = string | number;

/** A Lua script run by SHA, loaded on first NOSCRIPT (after a Redis restart, too). */
export class LuaScript {
  private readonly sha: string;

  constructor(
    readonly name: string,
    private readonly source: string,
    /** 'variable': as many keys as the call passes. */
    private readonly numKeys: number | 'variable',
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run<T>(redis: RedisClient, keys: string[], args: Arg[]): Promise<T> {
    if (this.numKeys !== 'variable' && keys.length !== this.numKeys) throw new Error(`${this.name}: expected ${this.numKeys} keys`);
    try {
      return (await redis.evalsha(this.sha, keys.length, ...keys, ...args)) as T;
    } catch (e) {
      if (!String((e as Error).message).includes('NOSCRIPT')) throw e;
      return (await redis.eval(this.source, keys.length, ...keys, ...args)) as T;
    }
  }
}
