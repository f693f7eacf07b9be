import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStages, diskUsage, runAsImage, type BuiltStage } from '../../scripts/dockerfile-stages.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from '../helpers/env.js';
import { waitFor } from '../helpers/wait.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * The Dockerfile, built without Docker (scripts/dockerfile-stages.ts replays its stages: npm ci,
 * build, production dependencies only), then run from the final stage's layout as its USER
 * against the real Postgres and Redis.
 */
describe('the Dockerfile', () => {
  let image: BuiltStage;
  let db: TestDatabase;
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { devDependencies: Record<string, string> };

  beforeAll(async () => {
    image = buildStages().at(-1)!;
    db = await createTestDatabase();
    // What the image adds to its base; the README's image size is this plus the base image.
    console.log(`final stage: ${(diskUsage(image.root) / 1e6).toFixed(1)} MB on top of ${image.base}`);
  }, 900_000);

  afterAll(async () => {
    await db?.drop();
    if (image) rmSync(dirname(image.root), { recursive: true, force: true });
  });

  it('ships the build and production dependencies only, and runs as an unprivileged user', () => {
    const app = join(image.root, image.workdir);
    expect(existsSync(join(app, 'dist/src/server.js'))).toBe(true);
    expect(existsSync(join(app, 'dist/src/migrate-cli.js'))).toBe(true);
    expect(existsSync(join(app, 'admin-ui/dist/index.html'))).toBe(true);
    expect(readdirSync(join(app, 'migrations')).some((f) => f.endsWith('.sql'))).toBe(true);
    for (const dev of Object.keys(pkg.devDependencies)) expect(existsSync(join(app, 'node_modules', dev)), `${dev} (a devDependency) in the image`).toBe(false);
    for (const source of ['src', 'test', 'bench', 'admin-ui/src']) expect(existsSync(join(app, source)), `${source}/ in the image`).toBe(false);
    expect(image.user).not.toBe('root');
    expect(image.env.NODE_ENV).toBe('production');
    expect(image.healthcheck?.cmd).toContain('/health');
    expect(image.stopSignal).toBe('SIGTERM');
  });

  it('migrates a database with the command the Helm chart’s migration Job runs', async () => {
    const child = runAsImage(image, { DATABASE_URL: db.url }, ['node', 'dist/src/migrate-cli.js']);
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const [code] = await once(child, 'exit');
    expect(code, out).toBe(0);
    expect(out).toMatch(/applied: 0001_/);
  });

  it('starts as its USER, answers /ready and its HEALTHCHECK, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `tgtest:image-${port}:`,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      SEED_FILE: 'none',
    };
    const gateway = runAsImage(image, env);
    let out = '';
    gateway.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    gateway.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = once(gateway, 'exit');
    try {
      const ready = await waitFor(
        async () => {
          if (gateway.exitCode !== null) throw new Error(`exited ${gateway.exitCode}: ${out}`);
          const res = await fetch(`http://127.0.0.1:${port}/ready`);
          return res.ok && ((await res.json()) as { status: string });
        },
        { what: 'the image’s gateway to answer /ready', deadlineMs: 120_000 },
      );
      expect(ready.status).toBe('ready');
      // The process runs as the image's user, not as root.
      const uid = readFileSync(`/proc/${gateway.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1];
      expect(uid).toBe(process.getuid?.() === 0 ? '1000' : String(process.getuid?.()));
      // Docker runs the HEALTHCHECK's shell form with /bin/sh -c inside the container.
      const health = runAsImage(image, env, ['/bin/sh', '-c', image.healthcheck!.cmd]);
      const [healthCode] = await once(health, 'exit');
      expect(healthCode).toBe(0);
    } finally {
      gateway.kill('SIGTERM');
    }
    const [code] = await exited;
    expect(code, out).toBe(0);
  });
});
