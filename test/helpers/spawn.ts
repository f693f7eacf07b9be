import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from './env.js';

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote (JSON log lines). */
  output: string[];
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash). */
  kill(): Promise<void>;
}

/** Runs a gateway as its own process (node + tsx), as production runs replicas. */
export async function spawnGateway(opts: { databaseUrl: string; redisPrefix: string; redisUrl?: string; env?: Record<string, string>; name?: string; nodeArgs?: string[] }): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: opts.databaseUrl,
      REDIS_URL: opts.redisUrl ?? TEST_REDIS_URL,
      REDIS_KEY_PREFIX: opts.redisPrefix,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      LOG_LEVEL: 'info',
      SEED_FILE: 'none',
      // Idle leases go back quickly, so tests reach quiescence (nothing held) soon after their requests.
      LEASE_IDLE_MS: '200',
      INSTANCE_ID: opts.name ?? `gw-${Math.random().toString(36).slice(2, 8)}`,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave a half-started gateway running behind a failed test.
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start:\n${output.join('')}`));
    }, Number(process.env.TEST_GATEWAY_START_MS ?? 90_000));
    const onData = (buf: Buffer) => {
      const text = buf.toString();
      output.push(text);
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*tollgate listening/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => output.push(b.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening:\n${output.join('')}`));
    });
  });
  return {
    url,
    child,
    output,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
