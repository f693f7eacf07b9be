import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../../src/paths.js';
import { waitFor } from '../../helpers/wait.js';

/** A child process running `script` with the gateway's logger writing to its stdout. */
function child(script: string) {
  const logger = JSON.stringify(projectPath('src', 'observability', 'logger.ts'));
  const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { createLogger } from ${logger};\n${script}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const got = { out: '' };
  p.stdout.setEncoding('utf8').on('data', (s: string) => (got.out += s));
  return { p, got };
}

describe('the log destination', () => {
  it('writes every line, in order, including those still gathered when the process exits', async () => {
    const { p, got } = child(`const log = createLogger('info'); for (let i = 0; i < 5000; i++) log.info({ i }, 'line'); process.exit(0);`);
    await once(p, 'close');
    const lines = got.out.trim().split('\n').map((l) => JSON.parse(l) as { i: number; msg: string; service: string });
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(lines[0]).toMatchObject({ msg: 'line', service: 'tollgate' });
  });

  it('writes a lone line while the process runs on, without a flush', async () => {
    const { p, got } = child(`const log = createLogger('info'); log.warn('alone'); setInterval(() => {}, 1000);`);
    try {
      await waitFor(() => got.out.includes('"msg":"alone"'), { what: 'the line on stdout' });
    } finally {
      p.kill('SIGKILL');
    }
  });
});
