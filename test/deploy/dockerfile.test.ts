import OpenAI from 'openai';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStages, diskUsage, parseDockerfile, runAsImage, type BuiltStage } from '../../scripts/dockerfile-stages.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from '../helpers/env.js';
import { waitFor } from '../helpers/wait.js';

/** What the final stage may add to its base image, in MB (README.md states it). */
const IMAGE_BUDGET_MB = 150;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<unknown[]>;
}

function start(stage: BuiltStage, env: Record<string, string>, argv?: string[]): Running {
  const child = runAsImage(stage, env, argv);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  return { child, output: () => out, exited: once(child, 'exit') };
}

/**
 * The Dockerfile, built without Docker (scripts/dockerfile-stages.ts replays its stages: npm ci,
 * build, production dependencies only), then run from the final stage's layout as its USER
 * against the real Postgres and Redis; and its mock-upstream stage, as compose's mock profile
 * runs it.
 */
describe('the Dockerfile', () => {
  let image: BuiltStage;
  let mockImage: BuiltStage;
  let db: TestDatabase;
  let gateway: Running | undefined;
  let mock: Running | undefined;
  const port = { gateway: 0, mock: 0 };
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { devDependencies: Record<string, string>; scripts: Record<string, string> };

  beforeAll(async () => {
    const built = buildStages({ alsoBuild: ['mock-upstream'] });
    const finalName = parseDockerfile(readFileSync('Dockerfile', 'utf8')).at(-1)!.name;
    image = built.find((s) => s.name === finalName)!;
    mockImage = built.find((s) => s.name === 'mock-upstream')!;
    db = await createTestDatabase();
    port.gateway = await freePort();
    port.mock = await freePort();
  }, 900_000);

  afterAll(async () => {
    for (const p of [gateway, mock]) {
      if (p && p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
    await db?.drop();
    if (image) rmSync(dirname(image.root), { recursive: true, force: true });
  });

  it(`adds less than ${IMAGE_BUDGET_MB} MB to its base image (the figure README.md gives)`, () => {
    // What the final stage adds to its base image (dist/, the admin panel, production node_modules,
    // migrations, the catalogue): a dependency that brings a large tree shows up here.
    const addedMb = diskUsage(image.root) / 1e6;
    console.log(`final stage: ${addedMb.toFixed(1)} MB on top of ${image.base}`);
    expect(addedMb).toBeGreaterThan(0);
    expect(addedMb).toBeLessThan(IMAGE_BUDGET_MB);
    expect(readFileSync('README.md', 'utf8')).toContain(`stays under ${IMAGE_BUDGET_MB} MB`);
  });

  it('ships the build and production dependencies only, and runs as an unprivileged user', () => {
    const app = join(image.root, image.workdir);
    expect(existsSync(join(app, 'dist/src/server.js'))).toBe(true);
    expect(existsSync(join(app, 'dist/src/migrate-cli.js'))).toBe(true);
    expect(existsSync(join(app, 'admin-ui/dist/index.html'))).toBe(true);
    expect(readdirSync(join(app, 'migrations')).some((f) => f.endsWith('.sql'))).toBe(true);
    for (const dev of Object.keys(pkg.devDependencies)) expect(existsSync(join(app, 'node_modules', dev)), `${dev} (a devDependency) in the image`).toBe(false);
    for (const source of ['src', 'test', 'bench', 'scripts', 'admin-ui/src']) expect(existsSync(join(app, source)), `${source}/ in the image`).toBe(false);
    expect(image.user).not.toBe('root');
    expect(image.env.NODE_ENV).toBe('production');
    // Node runs with the flags `npm start` gives it (README, "Memory and the young generation").
    const startFlags = /^node ((?:--\S+ )+)dist\/src\/server\.js$/.exec(pkg.scripts.start)?.[1]?.trim();
    expect(startFlags).toBeTruthy();
    expect(image.env.NODE_OPTIONS).toBe(startFlags);
    expect(image.healthcheck?.cmd).toContain('/health');
    expect(image.stopSignal).toBe('SIGTERM');
  });

  it('migrates a database with the command the Helm chart’s migration Job and compose’s migrate service run', async () => {
    const migrate = start(image, { DATABASE_URL: db.url }, ['node', 'dist/src/migrate-cli.js']);
    const [code] = await migrate.exited;
    expect(code, migrate.output()).toBe(0);
    expect(migrate.output()).toMatch(/applied: 0001_/);
  }, 120_000);

  it('starts as its USER on the seeded catalogue, and answers /ready and its HEALTHCHECK', async () => {
    const env = {
      PORT: String(port.gateway),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `tgtest:image-${port.gateway}:`,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    };
    gateway = start(image, env);
    const ready = await waitFor(
      async () => {
        if (gateway!.child.exitCode !== null) throw new Error(`exited ${gateway!.child.exitCode}: ${gateway!.output()}`);
        const res = await fetch(`http://127.0.0.1:${port.gateway}/ready`);
        return res.ok && ((await res.json()) as { status: string });
      },
      { what: 'the image’s gateway to answer /ready', deadlineMs: 120_000 },
    );
    expect(ready.status).toBe('ready');
    // The process runs as the image's user, not as root.
    const uid = readFileSync(`/proc/${gateway.child.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1];
    expect(uid).toBe(process.getuid?.() === 0 ? '1000' : String(process.getuid?.()));
    // Docker runs the HEALTHCHECK's shell form with /bin/sh -c inside the container.
    const health = start(image, env, ['/bin/sh', '-c', image.healthcheck!.cmd]);
    const [healthCode] = await health.exited;
    expect(healthCode, health.output()).toBe(0);
  }, 180_000);

  it('runs the simulator from its mock-upstream stage and points the seeded providers at it (compose --profile mock)', async () => {
    expect(mockImage.user).toBe('node');
    mock = start(mockImage, { MOCK_PORT: String(port.mock), MOCK_HOST: '127.0.0.1' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port.mock}/_mock/requests`)).ok, { what: 'the simulator', deadlineMs: 60_000 });
    const setup = start(mockImage, { TOLLGATE_URL: `http://127.0.0.1:${port.gateway}`, ADMIN_TOKEN: TEST_ADMIN_TOKEN, MOCK_URL: `http://127.0.0.1:${port.mock}` }, [
      'node',
      '--import',
      'tsx',
      'scripts/point-at-mock.ts',
    ]);
    const [code] = await setup.exited;
    expect(code, setup.output()).toBe(0);
    expect(setup.output()).toMatch(/providers pointed at http:\/\/127\.0\.0\.1:\d+: .*openai/);

    const admin = async (path: string, body: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port.gateway}/admin/api${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      return (await res.json()) as Record<string, string>;
    };
    const user = await admin('/users', { email: 'image@example.test', initialCredits: '5' });
    const { key } = await admin(`/users/${user.id}/keys`, { name: 'image' });
    const client = new OpenAI({ apiKey: key, baseURL: `http://127.0.0.1:${port.gateway}/v1`, maxRetries: 0 });
    for (const model of ['gpt-4o-mini', 'claude-haiku-4-5']) {
      const answer = await waitFor(
        async () => (await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }] })).choices[0]?.message.content,
        { what: `an answer from ${model} through the simulator` },
      );
      expect(answer.length).toBeGreaterThan(0);
    }
  }, 180_000);

  it('stops cleanly on SIGTERM', async () => {
    for (const p of [gateway!, mock!]) {
      p.child.kill('SIGTERM');
      const [code] = await p.exited;
      expect(code, p.output()).toBe(0);
    }
  }, 120_000);
});
