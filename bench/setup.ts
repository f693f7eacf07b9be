import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { projectPath } from '../src/paths.js';
import { spawnNode, waitForHttp, type Proc } from './procs.js';

export const PG_ADMIN = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const ENCRYPTION_KEY = 'YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktYmU=';
export const GATEWAY_PORT = 18_080;
export const MOCK_PORT = 18_090;
export const OUT = projectPath('bench', 'results');

export interface BenchEnv {
  dbUrl: string;
  gateway: Proc;
  mock: Proc;
  gatewayUrl: string;
  mockUrl: string;
  key: string;
  stop(): Promise<void>;
}

async function freshDatabase(name: string): Promise<string> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(url: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${url}/admin/api${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`admin ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * The built gateway on core 0 (full pipeline, JSON logs written to `<OUT>/<name>.log`) on `port`,
 * against `dbUrl`, with `extraEnv` over the bench's settings. Every gateway of a run is started
 * here, so two of them differ only in `extraEnv`.
 */
export function spawnBenchGateway(opts: { dbUrl: string; port: number; redisPrefix: string; extraEnv?: Record<string, string>; name: string }): Proc {
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return spawnNode([...nodeArgs, projectPath('dist', 'src', 'server.js')], {
    core: 0,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(opts.port),
      HOST: '127.0.0.1',
      DATABASE_URL: opts.dbUrl,
      DATABASE_POOL_SIZE: '20',
      REDIS_URL: REDIS,
      REDIS_KEY_PREFIX: opts.redisPrefix,
      ADMIN_TOKEN,
      ENCRYPTION_KEY,
      LOG_LEVEL: 'info',
      SEED_FILE: 'none',
      ...opts.extraEnv,
      ...(process.env.BENCH_GATEWAY_ENV ? (JSON.parse(process.env.BENCH_GATEWAY_ENV) as Record<string, string>) : {}),
    },
    logFile: `${OUT}/${opts.name}.log`,
  });
}

/**
 * Real Postgres and Redis, the mock upstream on core 1, the built gateway on core 0 (full
 * pipeline, JSON logs written to a file), one provider and model pointing at the mock, and a
 * user with plenty of credits.
 */
export async function startBenchEnv(extraEnv: Record<string, string> = {}): Promise<BenchEnv> {
  mkdirSync(OUT, { recursive: true });
  execFileSync('bash', [projectPath('scripts', 'ensure-services.sh')], { stdio: 'inherit' });
  execFileSync(process.execPath, [projectPath('node_modules', 'typescript', 'bin', 'tsc'), '-p', projectPath('tsconfig.build.json')], { stdio: 'inherit' });
  const dbUrl = await freshDatabase('tollgate_bench');
  const mock = spawnNode(['--import', 'tsx', projectPath('test', 'mock-upstream', 'cli.ts')], {
    core: 1,
    env: { ...process.env, MOCK_PORT: String(MOCK_PORT), MOCK_RECORD_LIMIT: '0' },
    logFile: `${OUT}/mock.log`,
  });
  const gateway = spawnBenchGateway({ dbUrl, port: GATEWAY_PORT, redisPrefix: `bench:${Date.now()}:`, extraEnv, name: 'gateway' });
  const gatewayUrl = `http://127.0.0.1:${GATEWAY_PORT}`;
  const mockUrl = `http://127.0.0.1:${MOCK_PORT}`;
  await Promise.all([waitForHttp(`${gatewayUrl}/health`), waitForHttp(`${mockUrl}/_mock/requests`)]);
  await admin(gatewayUrl, '/providers', { id: 'openai', kind: 'openai', baseUrl: `${mockUrl}/openai/v1`, keys: [{ secret: 'bench-upstream-key' }] });
  await admin(gatewayUrl, '/models', { alias: 'bench-model', providerId: 'openai', upstreamModel: 'gpt-4o-mini', contextWindow: 128000, maxOutputTokens: 4096, price: { inputPerMtok: '0.15', outputPerMtok: '0.6' } });
  const user = await admin(gatewayUrl, '/users', { email: 'bench@example.test', initialCredits: '1000000' });
  const key = (await admin(gatewayUrl, `/users/${user.id}/keys`, { name: 'bench' })).key as string;
  return {
    dbUrl,
    gateway,
    mock,
    gatewayUrl,
    mockUrl,
    key,
    stop: async () => {
      await gateway.stop();
      await mock.stop();
    },
  };
}
