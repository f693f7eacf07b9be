import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'vite';
import { projectPath } from '../../src/paths.js';

const dist = projectPath('admin-ui', 'dist');
const lock = projectPath('admin-ui', '.build-lock');
const stamp = projectPath('admin-ui', 'dist', '.test-run');

/** What the build reads: the panel's sources and config, and the installed dependencies. */
function sourceFingerprint(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else hash.update(`${p}:${statSync(p).size}:${statSync(p).mtimeMs}\n`);
    }
  };
  walk(projectPath('admin-ui', 'src'));
  walk(projectPath('admin-ui', 'public'));
  for (const f of ['admin-ui/index.html', 'admin-ui/vite.config.ts', 'package-lock.json']) hash.update(`${f}:${statSync(projectPath(f)).mtimeMs}\n`);
  return hash.digest('hex');
}

/**
 * Builds the admin panel (Vite's JS API, the same config as `npm run build:admin`) once per
 * vitest run, and again if its sources change, so the browser tests always serve the UI as it is
 * in the working tree. Test files run in parallel worker processes of one vitest parent: a lock
 * directory lets one of them build while the others wait, and a stamp (the parent's pid and the
 * sources' fingerprint) tells the others the build is fresh.
 */
export async function ensureAdminUiBuilt(): Promise<string> {
  const run = `${process.ppid}:${sourceFingerprint()}`;
  const fresh = () => existsSync(stamp) && readFileSync(stamp, 'utf8') === run;
  for (;;) {
    if (fresh()) return dist;
    try {
      mkdirSync(lock);
    } catch {
      // Another worker is building; a lock older than two minutes was left by a crashed run.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      await sleep(200);
      continue;
    }
    try {
      if (!fresh()) {
        // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
        const nodeEnv = process.env.NODE_ENV;
        process.env.NODE_ENV = 'production';
        try {
          await build({ configFile: projectPath('admin-ui', 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
        } finally {
          process.env.NODE_ENV = nodeEnv;
        }
        writeFileSync(stamp, run);
      }
      return dist;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
