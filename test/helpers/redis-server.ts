import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** A real redis-server of the test's own on a free port, so it can be stopped without disturbing other tests. */
export interface OwnRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  /** SIGKILL: the server vanishes, as in a crash. */
  kill(): Promise<void>;
}

/**
 * `persistent`: every write is in the append-only file before Redis answers (appendfsync always,
 * as production runs it for the settlement stream), so a killed server restarts with its data.
 */
export async function ownRedis(opts: { persistent?: boolean } = {}): Promise<OwnRedis> {
  const port = await freePort();
  const persistence = opts.persistent
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', mkdtempSync(join(tmpdir(), 'tollgate-redis-'))]
    : ['--appendonly', 'no'];
  let child: ChildProcess | undefined;
  const r: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    start: async () => {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], { stdio: ['ignore', 'pipe', 'pipe'] });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
        child!.stdout!.on('data', (b: Buffer) => {
          if (/Ready to accept connections/.test(b.toString())) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    },
    kill: async () => {
      // A killed process has a signalCode and no exitCode: killing it again would wait forever.
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
  await r.start();
  return r;
}
