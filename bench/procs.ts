import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, createWriteStream } from 'node:fs';
import { execFileSync } from 'node:child_process';
import pg from 'pg';

/** Whether `taskset` can pin processes to cores here. */
export const canPin = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
})();

export interface Proc {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/** Spawns `node <args>` pinned to `core` (when taskset is available), output to a log file. */
export function spawnNode(args: string[], opts: { core?: number; env: NodeJS.ProcessEnv; logFile: string }): Proc {
  const cmd = canPin && opts.core !== undefined ? 'taskset' : process.execPath;
  const argv = canPin && opts.core !== undefined ? ['-c', String(opts.core), process.execPath, ...args] : args;
  const child = spawn(cmd, argv, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(opts.logFile);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return {
    child,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`nothing answered at ${url}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** CPU time (user + system) a process has used, in milliseconds (Linux /proc). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After the command name: state is field 3; utime and stime are fields 14 and 15 (1-based).
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * 10; // CLK_TCK = 100
}

/** Resident memory of a process, in MB. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Busy and total CPU ticks of the whole machine (all cores), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3]! + f[4]!; // idle + iowait
  return { busy: total - idle, total };
}

/**
 * Where the machine's CPU went while `fn` ran: how busy all cores were (percent of every core),
 * and the milliseconds used by the gateway, by Postgres for the benchmark's database (its
 * backends, and the server's own background processes: WAL writer, checkpointer…; not other
 * databases' backends) and by the benchmark's own Redis — to tell a slow gateway from a
 * saturated machine, whatever else runs on it.
 */
export async function measureCpu<T>(
  env: { gateway: { pid: number }; dbUrl: string; redisPid: number },
  fn: () => Promise<T>,
): Promise<{ result: T; cpu: { machineBusyPercent: number; gatewayMs: number; postgresMs: number; redisMs: number } }> {
  const pids0 = await postgresPids(env.dbUrl);
  const m0 = machineTicks();
  const g0 = cpuMs(env.gateway.pid);
  const p0 = new Map(pids0.map((p) => [p, tryCpuMs(p)]));
  const r0 = cpuMs(env.redisPid);
  const result = await fn();
  const m1 = machineTicks();
  const g1 = cpuMs(env.gateway.pid);
  const r1 = cpuMs(env.redisPid);
  let postgresMs = 0;
  for (const p of new Set([...pids0, ...(await postgresPids(env.dbUrl))])) postgresMs += Math.max(0, tryCpuMs(p) - (p0.get(p) ?? 0));
  return {
    result,
    cpu: { machineBusyPercent: Math.round((100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total)), gatewayMs: g1 - g0, postgresMs, redisMs: r1 - r0 },
  };
}

/** Postgres processes working for this database, and the server's shared background processes. */
async function postgresPids(dbUrl: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE (datname = current_database() OR datname IS NULL) AND pid <> pg_backend_pid()');
    return rows.map((r) => r.pid);
  } finally {
    await c.end();
  }
}

function tryCpuMs(pid: number): number {
  try {
    return cpuMs(pid);
  } catch {
    return 0; // ended meanwhile
  }
}
