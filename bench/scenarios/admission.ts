import { Redis } from 'ioredis';
import { Authenticator } from '../../src/auth/authenticator.js';
import { loadCatalogue } from '../../src/config/catalogue.js';
import { parseChatCompletionRequest } from '../../src/http/openai/parse-chat.js';
import { Limits } from '../../src/limits/admission.js';
import { ConcurrencyLeases } from '../../src/limits/concurrency.js';
import { LimiterSet } from '../../src/limits/limiters.js';
import { Metrics } from '../../src/observability/metrics.js';
import { resolveChatRoute } from '../../src/routing/route.js';
import { PgDb } from '../../src/store/pg.js';
import { RedisStore } from '../../src/store/shared.js';
import { SecretBox } from '../../src/store/secrets.js';
import { percentile } from '../latency.js';
import { ENCRYPTION_KEY, type BenchEnv } from '../setup.js';

const us = (ms: number) => Math.round(ms * 1000);

/**
 * What the auth + config + limit steps add to a request, measured in-process with a
 * microsecond clock against the real Redis: key → principal (memory, as in steady state),
 * model → deployments (catalogue in memory), and admission against requests-per-minute and
 * tokens-per-minute limits on Redis (both taken in one round trip).
 */
export async function admissionBench(env: BenchEnv, durationS: number) {
  const db = new PgDb({ connectionString: env.dbUrl, poolSize: 2 });
  const redis = new Redis(env.redisUrl, { enableAutoPipelining: false });
  const catalogue = await loadCatalogue(db, new SecretBox(ENCRYPTION_KEY));
  const auth = new Authenticator(db, new RedisStore(redis, 'bench-admission:', () => undefined));
  const limits = new Limits(new LimiterSet(redis, 'bench-admission:', 1), new ConcurrencyLeases(redis, 'bench-admission:', 60_000), new Metrics({ defaultMetrics: false }), {});
  const plan = { id: 'bench', name: 'bench', rpm: 1_000_000_000, rpmPerProvider: null, tpm: 1_000_000_000, maxConcurrentStreams: null, markupBps: 0 };
  const body = { model: 'bench-model', max_tokens: 200, messages: [{ role: 'user', content: 'Benchmark request [[reply:12]]' }] };
  const principal = await auth.authenticate(env.key); // the one database lookup; then memory
  const steps = { parse: [] as number[], auth: [] as number[], route: [] as number[], limits: [] as number[], total: [] as number[] };
  const end = Date.now() + durationS * 1000;
  let i = 0;
  while (Date.now() < end && i < 200_000) {
    const t0 = performance.now();
    const chat = parseChatCompletionRequest(structuredClone(body));
    const t1 = performance.now();
    await auth.authenticate(env.key);
    const t2 = performance.now();
    resolveChatRoute(catalogue, chat);
    const t3 = performance.now();
    await limits.admit(principal.userId, plan, `bench-${i++}`, { tokens: 220, stream: false });
    const t4 = performance.now();
    steps.parse.push(t1 - t0);
    steps.auth.push(t2 - t1);
    steps.route.push(t3 - t2);
    steps.limits.push(t4 - t3);
    steps.total.push(t4 - t0);
  }
  await db.close();
  redis.disconnect();
  const summary = Object.fromEntries(
    Object.entries(steps).map(([k, v]) => {
      const sorted = Float64Array.from(v).sort();
      return [k, { p50Us: us(percentile(sorted, 50)), p99Us: us(percentile(sorted, 99)) }];
    }),
  );
  return { iterations: i, ...summary };
}
