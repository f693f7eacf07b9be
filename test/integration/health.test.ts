import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPgTap, waitForStatement, type PgTap } from '../helpers/pg-tap.js';

let db: TestDatabase;
let gw: TestGateway;
let tap: PgTap;

beforeAll(async () => {
  db = await createTestDatabase();
  // Through a tap, to see whether a probe reaches Postgres. The periodic sweep and version check
  // are moved out of the test's window; their first runs at start are waited for below.
  tap = await startPgTap(db.url);
  gw = await startTestGateway({ databaseUrl: tap.url, env: { SWEEP_INTERVAL_MS: '3600000', CONFIG_CHECK_INTERVAL_MS: '600000' } });
});

afterAll(async () => {
  await gw?.close();
  await tap?.close();
  await db?.drop();
});

describe('health and readiness', () => {
  it('/health answers without touching a dependency', async () => {
    await waitForStatement(tap, 'SELECT release_expired_holds(');
    const before = tap.statements.length;
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(tap.statements.slice(before)).toEqual([]);
  });

  it('/ready checks Postgres, Redis and the loaded config', async () => {
    const res = await fetch(`${gw.url}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { config: 'ok', postgres: 'ok', redis: 'ok' } });
  });

  it('/ready fails when Postgres fails', async () => {
    const original = gw.gw.probes.postgres!;
    gw.gw.probes.postgres = async () => {
      throw new Error('connection refused');
    };
    const res = await fetch(`${gw.url}/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'not_ready', checks: { postgres: 'unavailable: connection refused' } });
    gw.gw.probes.postgres = original;
  });

  it('/ready stays ready but says degraded when Redis fails (the gateway serves without it)', async () => {
    const original = gw.gw.degradableProbes.redis!;
    gw.gw.degradableProbes.redis = async () => {
      throw new Error('connection refused');
    };
    const res = await fetch(`${gw.url}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'degraded', checks: { redis: 'unavailable (serving without it): connection refused' } });
    gw.gw.degradableProbes.redis = original;
  });

  it('/ready fails and requests are refused once shutdown begins', async () => {
    gw.gw.lifecycle.shuttingDown = true;
    const res = await fetch(`${gw.url}/ready`);
    expect(res.status).toBe(503);
    const api = await fetch(`${gw.url}/v1/models`);
    expect(api.status).toBe(503);
    expect(await api.json()).toMatchObject({ error: { code: 'shutting_down' } });
    gw.gw.lifecycle.shuttingDown = false;
  });
});
