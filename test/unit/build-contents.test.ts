import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const rel = (file: string) => relative(root, file).replace(/\\/g, '/');

/** What `npm run build` compiles: tsconfig.build.json's include set plus everything it imports. */
function buildProgram() {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  // tsc emits one output per source file of the program, so the program's own files are exactly what lands in dist/.
  const program = ts.createProgram(config.fileNames, { ...config.options, noEmit: true });
  const own = program.getSourceFiles().map((f) => f.fileName).filter((f) => !f.includes('/node_modules/'));
  return { roots: config.fileNames.map(rel), compiled: own.map(rel) };
}

describe('the shipped build (tsconfig.build.json)', () => {
  const { roots, compiled } = buildProgram();

  it('starts from src/ only', () => {
    expect(roots.length).toBeGreaterThan(0);
    expect(roots.filter((f) => !f.startsWith('src/'))).toEqual([]);
  });

  it('compiles nothing outside src/ — the provider simulator, test helpers and the benchmark are not shipped', () => {
    expect(compiled).toContain('src/server.ts');
    expect(compiled.filter((f) => !f.startsWith('src/'))).toEqual([]);
    expect(compiled.filter((f) => /mock-upstream|simulator/.test(f))).toEqual([]);
    // The simulator lives with the tests; a copy under src/ would be built again.
    expect(existsSync(join(root, 'test/mock-upstream/server.ts'))).toBe(true);
    expect(existsSync(join(root, 'src/mock-upstream'))).toBe(false);
  });
});
