import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from '../../../src/config/env.js';

describe('environment', () => {
  it('applies defaults and coerces numbers', () => {
    const env = loadEnv({ PORT: '9000' });
    expect(env).toMatchObject({ PORT: 9000, HOST: '0.0.0.0', LOG_LEVEL: 'info', MAX_BODY_BYTES: 10485760 });
  });

  it('names the bad variable in one clear line', () => {
    expect(() => loadEnv({ PORT: 'eighty' })).toThrow(EnvError);
    expect(() => loadEnv({ PORT: 'eighty' })).toThrow(/^Invalid environment variable PORT: must be integer \(got "eighty"\)$/);
    expect(() => loadEnv({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadEnv({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it('never echoes a secret-looking value', () => {
    let message = '';
    expect(() => {
      try {
        loadEnv({ ADMIN_TOKEN: 'short' });
      } catch (err) {
        message = (err as Error).message;
        throw err;
      }
    }).toThrow(EnvError);
    expect(message).toMatch(/ADMIN_TOKEN/);
    expect(message).not.toContain('short"');
  });

  it('requires ENCRYPTION_KEY with DATABASE_URL', () => {
    expect(() => loadEnv({ DATABASE_URL: 'postgres://x/y' })).toThrow(/ENCRYPTION_KEY/);
  });

  it('stops the server start with one line on stderr and exit code 1', () => {
    let out = '';
    let code: number | null = null;
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, PORT: 'nope' }, stdio: 'pipe', timeout: 60_000 });
    } catch (err) {
      const e = err as { status: number | null; stderr: Buffer };
      code = e.status;
      out = e.stderr.toString();
    }
    expect(code, 'the server started although PORT is invalid').toBe(1);
    expect(out.trim()).toBe('tollgate: Invalid environment variable PORT: must be integer (got "nope")');
  });
});

describe('README configuration table', () => {
  it('documents every variable of the schema, with its default', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('| Variable | Default | Meaning |'), readme.indexOf('## Deploying'));
    const schema = JSON.parse(readFileSync(new URL('../../../config-schema/env.schema.json', import.meta.url), 'utf8')) as {
      properties: Record<string, { default?: unknown }>;
    };
    const rows = table.split('\n').filter((l) => l.startsWith('| `'));
    for (const [name, prop] of Object.entries(schema.properties)) {
      const row = rows.find((r) => r.split('|')[1]!.includes(`\`${name}\``));
      expect(row, `README lacks ${name}`).toBeDefined();
      if (prop.default !== undefined && name !== 'SEED_FILE') expect(row!.split('|')[2], `README default of ${name}`).toContain(`\`${String(prop.default)}\``);
    }
  });
});
