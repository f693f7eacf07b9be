import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisScript } from '../../src/store/redis-script.js';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.js';

describe('Lua scripts run by their SHA1', () => {
  let server: OwnRedis;
  let redis: Redis;
  beforeAll(async () => {
    server = await ownRedis();
    redis = new Redis(server.url, { lazyConnect: true });
    await redis.connect();
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.kill();
  });

  it('send the text only when Redis does not know the script, also after its script cache was flushed', async () => {
    const script = new RedisScript(`return redis.call('INCRBY', KEYS[1], ARGV[1])`);
    const evals = async () => Number(/cmdstat_eval:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    expect(await script.run(redis, ['n'], [2])).toBe(2);
    expect(await evals()).toBe(1);
    expect(await script.run(redis, ['n'], [3])).toBe(5);
    expect(await evals()).toBe(1);
    await redis.script('FLUSH');
    expect(await script.run(redis, ['n'], [4])).toBe(9);
    expect(await evals()).toBe(2);
  });

  it('pass errors of the script itself through', async () => {
    const script = new RedisScript(`return redis.error_reply('nope')`);
    await expect(script.run(redis, [], [])).rejects.toThrow('nope');
  });
});
