import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Evaluator = Pick<Redis, 'evalsha' | 'eval'>;

/**
 * A Lua script run by its SHA1 (EVALSHA): the script's text crosses the wire and is looked up
 * by Redis only the first time, and again after Redis restarts or flushes its script cache
 * (NOSCRIPT), when it is sent in full once.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Evaluator, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err as Error).message?.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
