import type { Router } from 'express';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminApi } from '../../src/http/admin/router.js';
import { ADMIN_ROLES, roleCan, type AdminPermission, type AdminRole } from '../../src/sdk/admin-api/index.js';
import { sha256 } from '../../src/store/secrets.js';
import { adminCall, signIn } from '../helpers/admin-session.js';
import { useGatewayHarness } from '../helpers/harness.js';

/**
 * Every admin route, for every role: the server refuses what the role may not do (403 before the
 * route runs) and lets through what it may. The expected permission of each route is written out
 * here, independently of src/http/admin/roles.ts; a route missing from this table fails the test.
 */
const h = useGatewayHarness();

type Expect = AdminPermission | 'public' | 'self';
const EXPECTED: Record<string, Expect> = {
  'GET /session/setup': 'public',
  'POST /session': 'public',
  'DELETE /session': 'public',
  'GET /session': 'self',
  'POST /session/password': 'self',
  'GET /providers': 'read',
  'GET /providers/:id': 'read',
  'POST /providers': 'catalogue',
  'PATCH /providers/:id': 'catalogue',
  'DELETE /providers/:id': 'catalogue',
  'POST /providers/:id/keys': 'catalogue',
  'PATCH /providers/:id/keys/:keyId': 'catalogue',
  'DELETE /providers/:id/keys/:keyId': 'catalogue',
  'POST /providers/:id/test': 'catalogue',
  'GET /models': 'read',
  'GET /models/:alias': 'read',
  'POST /models': 'catalogue',
  'PATCH /models/:alias': 'catalogue',
  'DELETE /models/:alias': 'catalogue',
  'GET /models/:alias/prices': 'read',
  'POST /models/:alias/prices': 'catalogue',
  'GET /plans': 'read',
  'GET /plans/:id': 'read',
  'POST /plans': 'plans',
  'PATCH /plans/:id': 'plans',
  'DELETE /plans/:id': 'plans',
  'GET /users': 'read',
  'GET /users/:id': 'read',
  'POST /users': 'customers',
  'PATCH /users/:id': 'customers',
  'GET /users/:id/keys': 'read',
  'POST /users/:id/keys': 'customers',
  'DELETE /keys/:id': 'customers',
  'GET /keys': 'read',
  'GET /accounts': 'read',
  'GET /accounts/:id': 'read',
  'POST /accounts/:id/grants': 'credits',
  'POST /accounts/:id/adjustments': 'credits',
  'GET /accounts/:id/ledger': 'read',
  'GET /accounts/:id/ledger.csv': 'read',
  'GET /usage': 'read',
  'GET /stats/usage': 'read',
  'GET /stats/usage.csv': 'read',
  'GET /requests': 'read',
  'GET /requests.csv': 'read',
  'GET /requests/:id': 'read',
  'GET /health': 'read',
  'GET /team': 'team',
  'POST /team': 'team',
  'PATCH /team/:id': 'team',
  'DELETE /team/:id': 'team',
  'GET /audit': 'read',
  'GET /keys/:id/limits': 'read',
  'PATCH /keys/:id/limits': 'credits',
  'GET /users/:id/limits': 'read',
  'PATCH /users/:id/limits': 'credits',
  'GET /webhooks': 'read',
  'POST /webhooks': 'credits',
  'PATCH /webhooks/:id': 'credits',
  'DELETE /webhooks/:id': 'credits',
  'POST /webhooks/:id/secret': 'credits',
  'POST /webhooks/:id/test': 'credits',
  'GET /webhooks/:id/deliveries': 'read',
  'GET /alerts': 'read',
  'POST /alerts': 'credits',
  'DELETE /alerts/:id': 'credits',
};

/** Every "METHOD /path" the admin router serves, read from the router itself. */
function routesOf(router: Router): string[] {
  const out: string[] = [];
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route) for (const m of Object.keys(layer.route.methods)) out.push(`${m.toUpperCase()} ${layer.route.path}`);
      else if (Array.isArray(layer.handle?.stack)) walk(layer.handle.stack);
    }
  };
  walk(router.stack);
  return out;
}

const MISSING_UUID = '00000000-0000-4000-8000-000000000000';
const concrete = (path: string) => path.replace(/:(id|keyId)\b/g, MISSING_UUID).replace(/:alias\b/, 'no-such-model');

const cookies = {} as Record<AdminRole, string>;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  for (const role of ADMIN_ROLES) {
    await h.gw.admin('POST', '/team', { email: `${role}@example.com`, role, password: PASSWORD });
    cookies[role] = await signIn(h.gw.url, `${role}@example.com`, PASSWORD);
  }
});

describe('admin roles', () => {
  it('lists an expected permission for every admin route (a new route must be placed)', () => {
    const served = routesOf(adminApi(h.gw.gw, sha256('x')));
    expect(new Set(served).size).toBe(served.length);
    expect([...served].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const role of ADMIN_ROLES) {
    it(`lets the ${role} role do only what the role allows, on every route`, async () => {
      const wrong: string[] = [];
      for (const [route, needs] of Object.entries(EXPECTED)) {
        if (needs === 'public') continue;
        const [method, path] = route.split(' ') as [string, string];
        const res = await adminCall(h.gw.url, method, concrete(path), { cookie: cookies[role], body: method === 'GET' ? undefined : {} });
        const allowed = needs === 'self' || roleCan(role, needs);
        const refused = res.status === 403 && res.body?.error?.code === 'insufficient_role';
        if (res.status === 401 || allowed === refused) wrong.push(`${route} → ${res.status} ${JSON.stringify(res.body?.error ?? '')}`);
      }
      expect(wrong).toEqual([]);
    });
  }

  it('refuses a viewer’s valid write before it runs, and lets billing change plans and credits but not models', async () => {
    const plan = { id: 'viewer-plan', name: 'Viewer plan' };
    const refused = await adminCall(h.gw.url, 'POST', '/plans', { cookie: cookies.viewer, body: plan });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ type: 'permission_error', code: 'insufficient_role' });
    expect((await adminCall(h.gw.url, 'GET', '/plans/viewer-plan', { cookie: cookies.viewer })).status).toBe(404);

    expect((await adminCall(h.gw.url, 'POST', '/plans', { cookie: cookies.billing, body: plan })).status).toBe(201);
    const grant = await adminCall(h.gw.url, 'POST', `/accounts/${h.accountId}/grants`, { cookie: cookies.billing, body: { amount: '3' } });
    expect(grant.status).toBe(201);
    expect((await adminCall(h.gw.url, 'PATCH', '/models/gpt-4o-mini', { cookie: cookies.billing, body: { enabled: false } })).status).toBe(403);
    expect((await adminCall(h.gw.url, 'GET', '/usage', { cookie: cookies.billing })).status).toBe(200);
  });

  it('keeps the team to owners: an admin can neither list nor create admin accounts', async () => {
    expect((await adminCall(h.gw.url, 'GET', '/team', { cookie: cookies.admin })).status).toBe(403);
    const made = await adminCall(h.gw.url, 'POST', '/team', { cookie: cookies.admin, body: { email: 'sneaky@example.com', role: 'owner', password: PASSWORD } });
    expect(made.status).toBe(403);
    expect((await adminCall(h.gw.url, 'GET', '/team', { cookie: cookies.owner })).body.data.map((a: { email: string }) => a.email)).not.toContain('sneaky@example.com');
  });

  it('tells each caller its role and permissions, the admin token as an owner', async () => {
    expect((await adminCall(h.gw.url, 'GET', '/session', { cookie: cookies.billing })).body).toMatchObject({ kind: 'account', role: 'billing', permissions: ['read', 'plans', 'credits'], account: { email: 'billing@example.com' } });
    expect(await h.gw.admin('GET', '/session')).toMatchObject({ kind: 'token', role: 'owner', account: null });
  });
});
