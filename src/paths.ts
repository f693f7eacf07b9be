import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found the same way from src/ (tsx) and from dist/src/ (compiled). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'migrations'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Tollgate: cannot find the project root (package.json + migrations/)');
    dir = parent;
  }
  return dir;
}

export const projectRoot = findRoot();

export function projectPath(...parts: string[]): string {
  return join(projectRoot, ...parts);
}

export function readProjectJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(projectPath(...parts), 'utf8')) as T;
}
