import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadEnv } from '../../src/config/env.js';
import { TRACE_FLUSH_TIMEOUT_MS } from '../../src/observability/tracing.js';
import { SecretBox } from '../../src/store/secrets.js';
import { parseDockerfile } from '../../scripts/dockerfile-stages.js';

/**
 * compose.yaml, checked offline (no Docker daemon here): the topology, health checks, start
 * order, profiles, Redis persistence, and each gateway's environment as the gateway reads it.
 */
type Service = {
  image?: string;
  build?: string | { context: string; target?: string };
  command?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string; restart?: boolean }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
  stop_grace_period?: string;
  restart?: string;
};

const compose = parse(readFileSync('compose.yaml', 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const gateways = Object.keys(services).filter((n) => /^gateway-\d+$/.test(n));
const nginx = readFileSync('deploy/compose/nginx.conf', 'utf8');

/** Compose's interpolation with nothing set in the environment: `${VAR:-default}` → default. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, _name: string, dflt?: string) => dflt ?? '').replace(/\$\$/g, '$');
}

describe('compose.yaml', () => {
  it('runs Postgres, Redis, a one-shot migration, three gateways and a load balancer, and the simulator only in the mock profile', () => {
    expect(Object.keys(services).sort()).toEqual(['gateway-1', 'gateway-2', 'gateway-3', 'lb', 'migrate', 'mock', 'mock-setup', 'postgres', 'redis']);
    for (const [name, s] of Object.entries(services)) expect(s.profiles ?? [], name).toEqual(name.startsWith('mock') ? ['mock'] : []);
  });

  it('keeps the settlement stream in Redis’ append-only file, fsynced every second, never evicted', () => {
    const cmd = services.redis!.command!.join(' ');
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--appendfsync everysec');
    expect(cmd).toContain('--maxmemory-policy noeviction');
    expect(services.redis!.volumes).toContain('redis-data:/data');
  });

  it('starts in order: databases healthy → migrations done → gateways healthy on /ready → balancer', () => {
    for (const name of ['postgres', 'redis', ...gateways, 'lb', 'mock']) expect(services[name]!.healthcheck?.test.length, `${name} healthcheck`).toBeGreaterThan(0);
    expect(services.migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const g of gateways) {
      expect(services[g]!.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
      expect(services[g]!.healthcheck!.test.join(' ')).toContain('/ready');
    }
    expect(services.lb!.depends_on).toEqual(Object.fromEntries(gateways.map((g) => [g, { condition: 'service_healthy', restart: true }])));
    expect(services['mock-setup']!.depends_on).toEqual({ mock: { condition: 'service_healthy' }, lb: { condition: 'service_healthy' } });
  });

  it('gives every gateway an environment the gateway accepts, a name of its own, and a stop grace period past its drain', () => {
    const ids = new Set<string>();
    for (const g of gateways) {
      const raw = services[g]!.environment!;
      // A variable without a value is passed through from the environment compose runs in (unset here).
      const env = Object.fromEntries(Object.entries(raw).flatMap(([k, v]) => (v === null ? [] : [[k, interpolate(String(v))]])));
      const loaded = loadEnv(env);
      expect(loaded.DATABASE_URL).toBe('postgres://tollgate:tollgate@postgres:5432/tollgate');
      expect(loaded.REDIS_URL).toBe('redis://redis:6379');
      expect(() => new SecretBox(loaded.ENCRYPTION_KEY!)).not.toThrow();
      expect(loaded.LIMITS_EXPECTED_INSTANCES).toBe(gateways.length);
      for (const passthrough of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'MISTRAL_API_KEY']) {
        expect(raw, passthrough).toHaveProperty(passthrough, null);
      }
      ids.add(loaded.INSTANCE_ID!);
      // SIGTERM: the drain, the settlement writes and the last span export (src/server.ts), before Docker's SIGKILL.
      expect(loaded.SHUTDOWN_SETTLE_MS).toBe(15_000);
      expect(Number.parseInt(services[g]!.stop_grace_period!, 10) * 1000).toBeGreaterThan(loaded.SHUTDOWN_DEADLINE_MS + loaded.SHUTDOWN_SETTLE_MS + TRACE_FLUSH_TIMEOUT_MS);
    }
    expect(ids.size).toBe(gateways.length);
    expect(interpolate(services.migrate!.environment!.DATABASE_URL!)).toBe(interpolate(services['gateway-1']!.environment!.DATABASE_URL!));
  });

  it('builds the images from the Dockerfile’s stages and runs commands that exist in them', () => {
    const stages = parseDockerfile(readFileSync('Dockerfile', 'utf8'));
    const mockStage = stages.find((s) => s.name === 'mock-upstream')!;
    expect(services.mock!.build).toEqual({ context: '.', target: 'mock-upstream' });
    expect(mockStage.instructions.some((i) => i.op === 'COPY' && i.args.startsWith('scripts/point-at-mock.ts'))).toBe(true);
    expect(services['mock-setup']!.command).toEqual(['node', '--import', 'tsx', 'scripts/point-at-mock.ts']);
    expect(services['mock-setup']!.image).toBe(services.mock!.image);
    // The production image (the last stage) runs the compiled migrate CLI, as the Helm Job does.
    expect(services.migrate!.command).toEqual(['node', 'dist/src/migrate-cli.js']);
    expect(existsSync('src/migrate-cli.ts')).toBe(true);
    for (const g of [...gateways, 'migrate']) expect(services[g]!.image).toBe('tollgate:local');
  });

  it('balances over exactly the gateways with nginx, unbuffered, retrying only failed connections (a drain included), on localhost only', () => {
    expect([...nginx.matchAll(/^\s*server\s+([\w-]+):8080/gm)].map((m) => m[1])).toEqual(gateways);
    expect(nginx).toMatch(/proxy_buffering off;/);
    // A provider's 503 is neither replayed nor counted against a replica (test/deploy/balancer-rules.test.ts runs the rules).
    expect(nginx).toMatch(/proxy_next_upstream error timeout non_idempotent;/);
    expect(nginx).not.toMatch(/^\s*proxy_next_upstream\b.*http_5/m);
    expect(nginx).toMatch(/proxy_set_header X-Tollgate-Drain close;/);
    expect(nginx).toMatch(/proxy_connect_timeout 2s;/);
    expect(nginx).toMatch(/proxy_read_timeout 3600s;/);
    expect(services.lb!.volumes).toContain('./deploy/compose/nginx.conf:/etc/nginx/nginx.conf:ro');
    expect(services.lb!.ports!.every((p) => p.startsWith('127.0.0.1:'))).toBe(true);
  });
});

describe('railway.json', () => {
  it('gives a replica its drain, its settlement writes and the last span export before Railway stops it', () => {
    const railway = JSON.parse(readFileSync('railway.json', 'utf8')) as { deploy: { drainingSeconds: number; healthcheckPath: string } };
    // Railway sets no SHUTDOWN_* variable: the gateway's defaults apply.
    const env = loadEnv({});
    expect(railway.deploy.drainingSeconds * 1000).toBeGreaterThan(env.SHUTDOWN_DEADLINE_MS + env.SHUTDOWN_SETTLE_MS + TRACE_FLUSH_TIMEOUT_MS);
    expect(railway.deploy.healthcheckPath).toBe('/health');
  });
});
