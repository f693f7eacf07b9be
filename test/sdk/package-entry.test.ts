import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// A throwaway package inside node_modules, so `openai` resolves from the project as an app's would.
const scratch = join(root, 'node_modules', '.cache', 'tollgate-sdk-test', randomUUID());
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the tollgate/sdk entry point', () => {
  it('is declared in package.json, with openai as a peer dependency', () => {
    expect(pkg.exports['./sdk']).toEqual({ types: './dist/src/sdk/index.d.ts', default: './dist/src/sdk/index.js' });
    expect(pkg.peerDependencies.openai).toMatch(/^\^6\./);
    // The same range as the gateway's own dependency: npm rewrites the dependency to the peer range when they differ.
    expect(pkg.peerDependencies.openai).toBe(pkg.dependencies.openai);
    // `npm run build` (tsconfig.build.json: outDir dist, rootDir .) emits src/sdk/index.ts there, with declarations.
    const build = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
    expect(build.options.declaration).toBe(true);
    const emitted = relative(root, join(build.options.outDir!, relative(build.options.rootDir!, join(root, 'src/sdk/index.ts')))).replace(/\\/g, '/');
    expect(`./${emitted.replace(/\.ts$/, '.js')}`).toBe(pkg.exports['./sdk'].default);
  });

  it('compiles on its own — nothing from the rest of src/, no dependency but openai and typebox — and resolves by its package name', { timeout: 90_000 }, () => {
    const outDir = join(scratch, 'dist', 'src', 'sdk');
    const program = ts.createProgram([join(root, 'src/sdk/index.ts')], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      declaration: true,
      skipLibCheck: true,
      types: ['node'],
      rootDir: join(root, 'src/sdk'),
      outDir,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).concat(program.emit().diagnostics);
    expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
    const ownFiles = program.getSourceFiles().filter((f) => !f.fileName.includes('/node_modules/'));
    expect(ownFiles.every((f) => f.fileName.startsWith(join(root, 'src/sdk/')))).toBe(true);
    const imported = ownFiles.flatMap((f) => f.statements.filter((st) => ts.isImportDeclaration(st) || ts.isExportDeclaration(st)).map((st) => (st as ts.ImportDeclaration).moduleSpecifier))
      .filter((spec): spec is ts.StringLiteral => spec !== undefined && ts.isStringLiteral(spec))
      .map((spec) => spec.text);
    // openai, and TypeBox for the admin API's schemas (src/sdk/admin-api), a dependency of the package.
    const external = imported.filter((spec) => !spec.startsWith('./') && !spec.startsWith('../')).map((spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]));
    expect(external).toSatisfy((names: string[]) => names.every((n) => n === 'openai' || n === '@sinclair/typebox'));
    expect(pkg.dependencies['@sinclair/typebox']).toBeDefined();
    expect(existsSync(join(outDir, 'index.d.ts'))).toBe(true);

    mkdirSync(scratch, { recursive: true });
    copyFileSync(join(root, 'package.json'), join(scratch, 'package.json'));
    const script = `import { Tollgate, TollgateAdmin, RateLimitedError, toMicrocredits } from 'tollgate/sdk';
      const tg = new Tollgate({ apiKey: 'tg_x', baseURL: 'http://gateway.test/v1/' });
      console.log(JSON.stringify([tg.baseURL, typeof tg.chat.completions.create, typeof new TollgateAdmin({ adminToken: 'x' }).users.list, RateLimitedError.name, String(toMicrocredits('0.5'))]));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: scratch, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(['http://gateway.test', 'function', 'function', 'RateLimitedError', '500000']);
  });
});
