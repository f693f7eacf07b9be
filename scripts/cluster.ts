import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLoadBalancer, type LoadBalancer } from './load-balancer.js';

/**
 * The compose.yaml topology without containers: N gateway processes on free ports, one Postgres
 * database and one Redis (already running on the machine), a load balancer in front
 * (scripts/load-balancer.ts, the Node counterpart of deploy/compose/nginx.conf). The replicas start
 * together, so the first start also shows migrations running once under their advisory lock.
 *
 * CLI (`npx tsx scripts/cluster.ts`): see the README's "Deploying" section.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Replica {
  id: string;
  url: string;
  child: ChildProcess;
  /** Everything the process wrote (JSON log lines). */
  output: string[];
  /** SIGTERM (graceful drain) and wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface LocalClusterOptions {
  databaseUrl: string;
  redisUrl: string;
  adminToken: string;
  encryptionKey: string;
  replicas?: number;
  redisKeyPrefix?: string;
  /** The balancer's port (default: a free one) and interface (default 127.0.0.1). */
  port?: number;
  host?: string;
  /** More environment for every replica (SEED_FILE, LOG_LEVEL, …). */
  env?: Record<string, string>;
  /** Replica ids are `<namePrefix>-1` …; they are the replicas' INSTANCE_ID. */
  namePrefix?: string;
  /** How long a replica may take to listen (default 120 s: the machine may be busy). */
  startDeadlineMs?: number;
}

export interface LocalCluster {
  /** The load balancer: send every request here. */
  url: string;
  replicas: Replica[];
  balancer: LoadBalancer;
  /** Stops the balancer, then every replica gracefully; resolves with their exit codes. */
  stop(): Promise<Array<number | null>>;
}

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

async function startReplica(id: string, opts: LocalClusterOptions): Promise<Replica> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      ...opts.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: opts.databaseUrl,
      REDIS_URL: opts.redisUrl,
      REDIS_KEY_PREFIX: opts.redisKeyPrefix ?? 'tollgate:',
      ADMIN_TOKEN: opts.adminToken,
      ENCRYPTION_KEY: opts.encryptionKey,
      INSTANCE_ID: id,
      LIMITS_EXPECTED_INSTANCES: String(opts.replicas ?? 3),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (buf: Buffer) => output.push(buf.toString()));
  child.stderr!.on('data', (buf: Buffer) => output.push(buf.toString()));
  const exited = once(child, 'exit').catch(() => [child.exitCode]);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const [code] = await exited;
    return code as number | null;
  };
  // Listening once /health answers (whatever LOG_LEVEL says); a replica that exits first failed.
  const deadline = Date.now() + (opts.startDeadlineMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`replica ${id} exited with ${child.exitCode} before listening:\n${output.join('')}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`replica ${id} did not start:\n${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { id, url, child, output, stop };
}

export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const n = opts.replicas ?? 3;
  const prefix = opts.namePrefix ?? 'tollgate';
  const started = await Promise.allSettled(Array.from({ length: n }, (_, i) => startReplica(`${prefix}-${i + 1}`, opts)));
  const replicas = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(replicas.map((r) => r.stop()));
    throw failed.reason;
  }
  let balancer: LoadBalancer;
  try {
    balancer = await startLoadBalancer({ upstreams: replicas.map((r) => r.url), port: opts.port, host: opts.host });
  } catch (err) {
    await Promise.all(replicas.map((r) => r.stop()));
    throw err;
  }
  return {
    url: balancer.url,
    replicas,
    balancer,
    stop: async () => {
      await balancer.close();
      return Promise.all(replicas.map((r) => r.stop()));
    },
  };
}

/** ADMIN_TOKEN and ENCRYPTION_KEY for the CLI: from the environment, else kept in .tollgate/cluster.json. */
function clusterSecrets(): { adminToken: string; encryptionKey: string } {
  const file = join(ROOT, '.tollgate', 'cluster.json');
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { adminToken: string; encryptionKey: string }) : undefined;
  const secrets = {
    adminToken: process.env.ADMIN_TOKEN ?? kept?.adminToken ?? `tga_${randomBytes(24).toString('base64url')}`,
    encryptionKey: process.env.ENCRYPTION_KEY ?? kept?.encryptionKey ?? randomBytes(32).toString('base64'),
  };
  if (!kept) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  return secrets;
}

/** Creates the database named in the URL when it does not exist yet. */
async function ensureDatabase(url: string): Promise<void> {
  const pg = (await import('pg')).default;
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const replicas = Number(process.env.REPLICAS ?? 3);
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tollgate_cluster';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const useMock = process.env.MOCK !== '0';
  await ensureDatabase(databaseUrl);
  const { adminToken, encryptionKey } = clusterSecrets();
  // The simulator lives with the tests; it is loaded only when asked for.
  const mock = useMock ? await (await import('../test/mock-upstream/server.js')).startMockUpstream({ port: Number(process.env.MOCK_PORT ?? 0) }) : undefined;
  const cluster = await startLocalCluster({
    databaseUrl,
    redisUrl,
    adminToken,
    encryptionKey,
    replicas,
    redisKeyPrefix: process.env.REDIS_KEY_PREFIX ?? 'tollgate-cluster:',
    port: Number(process.env.PORT ?? 8080),
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  });
  if (mock) {
    const { pointProvidersAtMock } = await import('./point-at-mock.js');
    await pointProvidersAtMock(cluster.url, adminToken, mock.url);
  }
  process.stdout.write(
    `tollgate cluster: ${cluster.url} (load balancer) → ${cluster.replicas.map((r) => `${r.id} ${r.url}`).join(', ')}\n` +
      `  admin panel ${cluster.url}/admin  ADMIN_TOKEN=${adminToken}\n` +
      (mock ? `  providers point at the simulator on ${mock.url}\n` : '') +
      '  Ctrl-C stops everything (each replica drains first)\n',
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const codes = await cluster.stop();
    await mock?.close();
    process.stdout.write(`stopped (exit codes ${codes.join(', ')})\n`);
    process.exit(codes.every((c) => c === 0) ? 0 : 1);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

if (process.argv[1] && /cluster\.(ts|js)$/.test(process.argv[1])) {
  main().catch((err) => {
    process.stderr.write(`cluster: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
