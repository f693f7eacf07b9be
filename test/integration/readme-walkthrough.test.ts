import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from '../helpers/env.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import type { MockUpstream } from '../mock-upstream/server.js';

let gw: TestGateway;
let mock: MockUpstream;
useGatewayHarness({ seed: false }, (h) => ({ gw, mock } = h));

/** The README's walkthrough, exactly as a new user would paste it. */
function walkthrough(): string {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const block = /<!-- walkthrough:start -->\n```sh\n([\s\S]*?)```\n<!-- walkthrough:end -->/.exec(readme);
  if (!block) throw new Error('README.md has no walkthrough block');
  return block[1]!;
}

function bash(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the README walkthrough', () => {
  it('runs as written against a fresh gateway: provider, models, plan, user, key, a chat, an embedding, a top-up', async () => {
    // The one change: the provider's real API root becomes the simulator's.
    const script = walkthrough().replaceAll('"baseUrl":"https://api.openai.com/v1"', `"baseUrl":"${mock.baseUrl('openai')}"`);
    const out = await bash(script, { TOLLGATE: gw.url, ADMIN_TOKEN: TEST_ADMIN_TOKEN });
    expect({ code: out.code, stderr: out.stderr }, out.stdout).toEqual({ code: 0, stderr: '' });
    // The admin calls echo what they created; the last three lines are the answers of steps 7 and 8.
    const lines = out.stdout.trim().split('\n').slice(-3);
    expect(lines[0]).not.toBe('');
    expect(Number(lines[1])).toBeGreaterThan(0);
    // 10 credits, a few microcredits spent, 5 granted.
    expect(Number(lines[2])).toBeGreaterThan(14.99);
    expect(Number(lines[2])).toBeLessThan(15);
  });
});
