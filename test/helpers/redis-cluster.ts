import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/** A Redis Cluster of the test's own: three masters (no replicas) on free ports, in a temp dir. */
export interface OwnRedisCluster {
  /** REDIS_URL of the cluster: `redis-cluster://127.0.0.1:<port>,…`. */
  url: string;
  ports: number[];
  /** SIGKILL one node (a crash); its slots are unserved until it is started again. */
  kill(port: number): Promise<void>;
  /** Starts a killed node again on its port; it rejoins with its slots (its data is gone). */
  start(port: number): Promise<void>;
  stop(): Promise<void>;
}

function startNode(dir: string, port: number, busPort: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--cluster-enabled', 'yes',
      '--cluster-port', String(busPort),
      '--cluster-config-file', join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout', '5000',
      '--dir', dir,
      '--save', '',
      '--appendonly', 'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server (cluster node ${port}) did not start`)), 10_000);
    child.once('exit', (code) => reject(new Error(`redis-server (cluster node ${port}) exited with ${code}`)));
    child.stdout!.on('data', (b: Buffer) => {
      if (/Ready to accept connections/.test(b.toString())) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

/**
 * Starts three cluster-enabled redis-servers, joins them with `redis-cli --cluster create` (every
 * slot assigned, no replicas) and waits until every node reports `cluster_state:ok`.
 */
export async function ownRedisCluster(): Promise<OwnRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-cluster-'));
  const children = new Map<number, ChildProcess>();
  const busPorts = new Map<number, number>();
  const ports: number[] = [];
  const kill = async (port: number) => {
    const c = children.get(port);
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGKILL');
    await once(c, 'exit');
  };
  const stop = async () => {
    await Promise.all([...children.keys()].map(kill));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const taken: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort(taken);
      const bus = await freePort([...taken, port]);
      taken.push(port, bus);
      ports.push(port);
      busPorts.set(port, bus);
      children.set(port, await startNode(dir, port, bus));
    }
    const nodes = ports.map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) {
      await waitFor(async () => (await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout.includes('cluster_state:ok'), {
        what: `cluster_state:ok on node ${port}`,
      });
    }
    const start = async (port: number) => {
      children.set(port, await startNode(dir, port, busPorts.get(port)!));
    };
    return { url: `redis-cluster://${nodes.join(',')}`, ports, kill, start, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
