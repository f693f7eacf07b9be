import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, createWriteStream } from 'node:fs';
import { execFileSync } from 'node:child_process';

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
