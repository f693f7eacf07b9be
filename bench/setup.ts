import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { projectPath } from '../src/paths.js';
import { spawnNode, waitForHttp, type Proc } from './procs.js';

export const PG_ADMIN = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const ENCRYPTION_KEY = 'YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktYmU=';
export const GATEWAY_PORT = 18_080;
export const MOCK_PORT = 18_090;
export const OUT = projectPath('bench', 'results');

export interface BenchEnv {
  dbUrl: string;
  /** The benchmark's own Redis (its CPU is the gateway's alone). */
  redisUrl: string;
  redisPid: number;
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

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * A Redis of the benchmark's own, configured as production runs it for the settlement stream
 * (append-only file, fsync every second), so its CPU is the gateway's alone.
 */
async function startRedis(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('the benchmark Redis did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function admin(url: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${url}/admin/api${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`admin ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * The node flags of the bench's gateways: those `npm start` (and the image, through NODE_OPTIONS)
 * runs the gateway with, then BENCH_GATEWAY_NODE_ARGS (profiling).
 */
export function gatewayNodeArgs(): string[] {
  const start = (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start ?? '';
  return [...start.split(' ').filter((w) => w.startsWith('--')), ...(process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean)];
}

/**
 * The built gateway on core 0, started as `npm start` starts it (full pipeline, JSON logs written to `<OUT>/<name>.log`) on `port`,
 * against `dbUrl`, with `extraEnv` over the bench's settings. Every gateway of a run is started
 * here, so two of them differ only in `extraEnv`.
 */
export function spawnBenchGateway(opts: { dbUrl: string; redisUrl: string; port: number; redisPrefix: string; extraEnv?: Record<string, string>; name: string }): Proc {
  return spawnNode([...gatewayNodeArgs(), projectPath('dist', 'src', 'server.js')], {
    core: 0,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(opts.port),
      HOST: '127.0.0.1',
      DATABASE_URL: opts.dbUrl,
      DATABASE_POOL_SIZE: '20',
      REDIS_URL: opts.redisUrl,
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
 * Real Postgres and a Redis of its own, the mock upstream on core 1, the built gateway on core 0 (full
 * pipeline, JSON logs written to a file), one provider and model pointing at the mock, and a
 * user with plenty of credits.
 */
export async function startBenchEnv(extraEnv: Record<string, string> = {}): Promise<BenchEnv> {
  mkdirSync(OUT, { recursive: true });
  execFileSync('bash', [projectPath('scripts', 'ensure-services.sh')], { stdio: 'inherit' });
  execFileSync(process.execPath, [projectPath('node_modules', 'typescript', 'bin', 'tsc'), '-p', projectPath('tsconfig.build.json')], { stdio: 'inherit' });
  const dbUrl = await freshDatabase('tollgate_bench');
  const redis = await startRedis();
  const mock = spawnNode(['--import', 'tsx', projectPath('test', 'mock-upstream', 'cli.ts')], {
    core: 1,
    env: { ...process.env, MOCK_PORT: String(MOCK_PORT), MOCK_RECORD_LIMIT: '0' },
    logFile: `${OUT}/mock.log`,
  });
  const gateway = spawnBenchGateway({ dbUrl, redisUrl: redis.url, port: GATEWAY_PORT, redisPrefix: `bench:${Date.now()}:`, extraEnv, name: 'gateway' });
  const gatewayUrl = `http://127.0.0.1:${GATEWAY_PORT}`;
  const mockUrl = `http://127.0.0.1:${MOCK_PORT}`;
  await Promise.all([waitForHttp(`${gatewayUrl}/health`), waitForHttp(`${mockUrl}/_mock/requests`)]);
  await admin(gatewayUrl, '/providers', { id: 'openai', kind: 'openai', baseUrl: `${mockUrl}/openai/v1`, keys: [{ secret: 'bench-upstream-key' }] });
  await admin(gatewayUrl, '/models', { alias: 'bench-model', providerId: 'openai', upstreamModel: 'gpt-4o-mini', contextWindow: 128000, maxOutputTokens: 4096, price: { inputPerMtok: '0.15', outputPerMtok: '0.6' } });
  // A plan with request and token limits, set too high to refuse anything, so every request takes both from Redis.
  await admin(gatewayUrl, '/plans', { id: 'bench', name: 'Bench', rpm: 1_000_000_000, tpm: 2_000_000_000 });
  const user = await admin(gatewayUrl, '/users', { email: 'bench@example.test', initialCredits: '1000000', planId: 'bench' });
  const key = (await admin(gatewayUrl, `/users/${user.id}/keys`, { name: 'bench' })).key as string;
  return {
    dbUrl,
    gateway,
    mock,
    gatewayUrl,
    mockUrl,
    key,
    redisUrl: redis.url,
    redisPid: redis.pid,
    stop: async () => {
      await gateway.stop();
      await mock.stop();
      await redis.stop();
    },
  };
}
