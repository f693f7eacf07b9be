import { randomBytes } from 'node:crypto';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { spawnGateway, type GatewayProcess } from './spawn.js';
import { adminCall } from './admin-call.js';

export interface Cluster {
  db: TestDatabase;
  mock: MockUpstream;
  nodes: GatewayProcess[];
  prefix: string;
  admin<T = any>(node: GatewayProcess, method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  env?: Record<string, string>;
  redisUrl?: string;
  /** How the gateways reach the test database (e.g. through a PgBouncer), and the variables that go with it. */
  database?: (db: TestDatabase) => { url: string; env?: Record<string, string> };
}

/** N gateway processes on one database and one Redis prefix, plus a mock upstream. */
export async function startCluster(n: number, opts: ClusterOptions = {}): Promise<Cluster> {
  const db = await createTestDatabase();
  const mock = await startMockUpstream();
  const prefix = `tgtest:${randomBytes(4).toString('hex')}:`;
  const nodes: GatewayProcess[] = [];
  const close = async () => {
    await Promise.all(nodes.map((g) => g.kill()));
    await mock.close();
    await db.drop();
  };
  const via = opts.database?.(db) ?? { url: db.url };
  try {
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        nodes.push(await spawnGateway({ databaseUrl: via.url, redisPrefix: prefix, redisUrl: opts.redisUrl, name: `node-${i + 1}`, env: { ...via.env, ...opts.env } }));
      }),
    );
  } catch (err) {
    await close();
    throw err;
  }
  nodes.sort((a, b) => a.url.localeCompare(b.url));
  const admin = (node: GatewayProcess, method: string, path: string, body?: unknown) => adminCall(node.url, method, path, body);
  return { db, mock, nodes, prefix, admin, close };
}

/** Polls fn every 20 ms until it returns true; resolves with the milliseconds it took. */
export async function within(ms: number, fn: () => Promise<boolean>, label: string): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await fn()) return performance.now() - t0;
    if (performance.now() - t0 > ms) throw new Error(`${label}: not true within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
