import type { Redis } from 'ioredis';

/** Counts the script calls (EVALSHA) sent on `redis`, on the client side; the server stays real. */
export function countScriptCalls(redis: Redis): { readonly count: number } {
  const counter = { count: 0 };
  const evalsha = redis.evalsha.bind(redis);
  redis.evalsha = ((...args: Parameters<typeof evalsha>) => {
    counter.count++;
    return evalsha(...args);
  }) as typeof redis.evalsha;
  return counter;
}
