import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { adminCall, sessionCookieOf, signIn } from '../helpers/admin-session.js';
import { useGatewayHarness } from '../helpers/harness.js';

/** Named admin accounts: first start with the token, sign-in, the session cookie, CSRF, throttling, the team's own rules. */
const h = useGatewayHarness({ seed: false });
const url = () => h.gw.url;
const PASSWORD = 'a long enough password';

describe('admin team', () => {
  it('starts with no accounts; the admin token creates the first owner', async () => {
    expect((await adminCall(url(), 'GET', '/session/setup')).body).toEqual({ hasAccounts: false });
    const owner = await h.gw.admin('POST', '/team', { email: 'Owner@Example.com', name: 'Olive', role: 'owner', password: PASSWORD });
    expect(owner).toMatchObject({ email: 'owner@example.com', name: 'Olive', role: 'owner', disabled: false, lastSignInAt: null });
    expect(JSON.stringify(owner)).not.toContain('scrypt');
    expect((await adminCall(url(), 'GET', '/session/setup')).body).toEqual({ hasAccounts: true });
    const [row] = await h.db.query<{ password_hash: string }>('SELECT password_hash FROM admin_accounts');
    expect(row!.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  });

  it('signs in to an HttpOnly, SameSite=Strict session kept hashed in Postgres, and signs out on the server', async () => {
    const res = await adminCall(url(), 'POST', '/session', { body: { email: 'OWNER@example.com', password: PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'account', role: 'owner', account: { email: 'owner@example.com' } });
    const setCookie = res.headers.getSetCookie()[0]!;
    expect(setCookie).toMatch(/^tollgate_admin_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/admin');
    expect(setCookie).not.toContain('Secure');
    const cookie = sessionCookieOf(res.headers)!;
    const id = cookie.split('=')[1]!;
    const sessions = await h.db.query<{ id_hash: Buffer }>('SELECT id_hash FROM admin_sessions');
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.id_hash).toEqual(createHash('sha256').update(id).digest());

    expect((await adminCall(url(), 'GET', '/providers', { cookie })).status).toBe(200);
    expect((await adminCall(url(), 'DELETE', '/session', { cookie })).status).toBe(204);
    const after = await adminCall(url(), 'GET', '/providers', { cookie });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('session_expired');
  });

  it('marks the cookie Secure when the request came over https', async () => {
    const res = await adminCall(url(), 'POST', '/session', { body: { email: 'owner@example.com', password: PASSWORD }, headers: { 'x-forwarded-proto': 'https' } });
    expect(res.headers.getSetCookie()[0]).toContain('Secure');
  });

  it('refuses a cookie write without X-Requested-With or from another origin, but not the token', async () => {
    const cookie = await signIn(url(), 'owner@example.com', PASSWORD);
    const plan = (id: string) => ({ id, name: id });
    const noHeader = await fetch(`${url()}/admin/api/plans`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(plan('csrf-1')) });
    expect(noHeader.status).toBe(403);
    expect(((await noHeader.json()) as { error: { code: string } }).error.code).toBe('csrf_check_failed');
    const foreign = await adminCall(url(), 'POST', '/plans', { cookie, body: plan('csrf-2'), headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect((await adminCall(url(), 'GET', '/plans/csrf-1', { cookie })).status).toBe(404);
    expect((await adminCall(url(), 'GET', '/plans/csrf-2', { cookie })).status).toBe(404);
    expect((await adminCall(url(), 'POST', '/plans', { cookie, body: plan('csrf-null'), headers: { origin: 'null' } })).status).toBe(403);
    expect((await adminCall(url(), 'POST', '/plans', { cookie, body: plan('csrf-3'), headers: { origin: url() } })).status).toBe(201);
    // Behind a proxy that rewrites Host, the origin it forwarded counts as ours (over https, the scheme it ended).
    const proxied = { origin: 'https://panel.example', 'x-forwarded-host': 'panel.example', 'x-forwarded-proto': 'https' };
    expect((await adminCall(url(), 'POST', '/plans', { cookie, body: plan('csrf-5'), headers: proxied })).status).toBe(201);
    // Automation with the token sends no such header and keeps working.
    expect(await h.gw.admin('POST', '/plans', plan('csrf-4'))).toMatchObject({ id: 'csrf-4' });
  });

  it('answers a wrong password and an unknown email alike, and throttles guessing even with the right password', async () => {
    await h.gw.admin('POST', '/team', { email: 'target@example.com', role: 'viewer', password: PASSWORD });
    const wrong = await adminCall(url(), 'POST', '/session', { body: { email: 'target@example.com', password: 'not the password' } });
    const unknown = await adminCall(url(), 'POST', '/session', { body: { email: 'nobody@example.com', password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe(wrong.body.error.message);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    for (let i = 0; i < 4; i++) await adminCall(url(), 'POST', '/session', { body: { email: 'target@example.com', password: `guess ${i}` } });
    const locked = await adminCall(url(), 'POST', '/session', { body: { email: 'target@example.com', password: PASSWORD } });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('too_many_sign_in_attempts');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(60);
    // Another account is not locked by someone guessing at this one.
    await signIn(url(), 'owner@example.com', PASSWORD);
  });

  it('counts sign-in attempts per client address as the proxy in front saw it, not as the client claims it', async () => {
    // The client writes what it likes on the left of X-Forwarded-For; the proxy (here: loopback) appends the address it saw.
    const attempt = (i: number) => adminCall(url(), 'POST', '/session', { body: { email: `probe-${i}@example.com`, password: 'not the password' }, headers: { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.9` } });
    for (let i = 0; i < 30; i++) expect((await attempt(i)).status).toBe(401);
    const throttled = await attempt(30);
    expect(throttled.status).toBe(429);
    // Another client behind the same proxy is not throttled with it.
    const other = await adminCall(url(), 'POST', '/session', { body: { email: 'probe-x@example.com', password: 'not the password' }, headers: { 'x-forwarded-for': '203.0.113.10' } });
    expect(other.status).toBe(401);
  });

  it('ends every session of an account that is disabled or gets a new password', async () => {
    const made = await h.gw.admin('POST', '/team', { email: 'temp@example.com', role: 'admin', password: PASSWORD });
    const cookie = await signIn(url(), 'temp@example.com', PASSWORD);
    await h.gw.admin('PATCH', `/team/${made.id}`, { password: 'another long password' });
    expect((await adminCall(url(), 'GET', '/session', { cookie })).status).toBe(401);
    const again = await signIn(url(), 'temp@example.com', 'another long password');
    await h.gw.admin('PATCH', `/team/${made.id}`, { disabled: true });
    expect((await adminCall(url(), 'GET', '/session', { cookie: again })).status).toBe(401);
    expect((await adminCall(url(), 'POST', '/session', { body: { email: 'temp@example.com', password: 'another long password' } })).status).toBe(401);
  });

  it('changes one’s own password with the current one, keeping this session and ending the others', async () => {
    await h.gw.admin('POST', '/team', { email: 'self@example.com', role: 'viewer', password: PASSWORD });
    const here = await signIn(url(), 'self@example.com', PASSWORD);
    const elsewhere = await signIn(url(), 'self@example.com', PASSWORD);
    const bad = await adminCall(url(), 'POST', '/session/password', { cookie: here, body: { currentPassword: 'wrong', newPassword: 'my new long password' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('currentPassword');
    const short = await adminCall(url(), 'POST', '/session/password', { cookie: here, body: { currentPassword: PASSWORD, newPassword: 'short' } });
    expect(short.body.error.param).toBe('newPassword');
    expect((await adminCall(url(), 'POST', '/session/password', { cookie: here, body: { currentPassword: PASSWORD, newPassword: 'my new long password' } })).status).toBe(204);
    expect((await adminCall(url(), 'GET', '/session', { cookie: here })).status).toBe(200);
    expect((await adminCall(url(), 'GET', '/session', { cookie: elsewhere })).status).toBe(401);
    await signIn(url(), 'self@example.com', 'my new long password');
  });

  it('never leaves the team without an active owner, and refuses a duplicate email', async () => {
    const { data } = await h.gw.admin('GET', '/team');
    const owner = data.find((a: { role: string }) => a.role === 'owner');
    for (const patch of [{ role: 'admin' }, { disabled: true }]) {
      const res = await adminCall(url(), 'PATCH', `/team/${owner.id}`, { body: patch, headers: { authorization: `Bearer ${h.gw.adminToken}` } });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('last_owner');
    }
    expect((await adminCall(url(), 'DELETE', `/team/${owner.id}`, { headers: { authorization: `Bearer ${h.gw.adminToken}` } })).status).toBe(409);
    const dup = await adminCall(url(), 'POST', '/team', { body: { email: 'owner@example.com', role: 'viewer', password: PASSWORD }, headers: { authorization: `Bearer ${h.gw.adminToken}` } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.param).toBe('email');
    // With a second owner, the first may step down.
    await h.gw.admin('POST', '/team', { email: 'owner2@example.com', role: 'owner', password: PASSWORD });
    expect((await h.gw.admin('PATCH', `/team/${owner.id}`, { role: 'admin' })).role).toBe('admin');
  });
});
