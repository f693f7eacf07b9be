import express, { Router, type Request, type Response } from 'express';
import { recordAudit } from '../../audit/log.js';
import { findAdminForSignIn, hasAdminAccounts, passwordHashOf, setPasswordHash } from '../../auth/admin-accounts.js';
import { admitSignIn, createSession, deleteOtherSessions, deleteSession, signInSucceeded, type SignInLimits } from '../../auth/admin-sessions.js';
import { decoyHash, hashPassword, needsRehash, verifyPassword } from '../../auth/passwords.js';
import type { Gateway } from '../../gateway.js';
import { PasswordChange, ROLE_PERMISSIONS, SignIn, type AdminSession, type AdminSetup } from '../../sdk/admin-api/index.js';
import { AuthenticationError, InvalidRequestError, RateLimitError } from '../../errors.js';
import { actorOf, callerOf, checkCsrf, readCookie, SESSION_COOKIE, sessionCookieOptions, type AdminCaller } from './auth.js';
import { bodyParser } from './schemas.js';

const parse = { signIn: bodyParser(SignIn), password: bodyParser(PasswordChange) };

/** Guessing is slow (scrypt) and bounded: 5 tries per email and 30 per client address per 15 minutes. */
export const SIGN_IN_LIMITS: SignInLimits = { windowMs: 15 * 60_000, perEmail: 5, perIp: 30 };

const WRONG = 'That email and password do not match an active admin account.';

export function sessionView(c: AdminCaller): AdminSession {
  return { kind: c.kind, role: c.role, account: c.account, permissions: [...ROLE_PERMISSIONS[c.role]], expiresAt: c.expiresAt };
}

/** What works before anyone is signed in: the sign-in page's setup check, signing in and out. */
export function publicSessionRoutes(gw: Gateway): Router {
  const r = Router();
  r.use('/session', express.json({ limit: '16kb' }));

  r.get('/session/setup', async (_req, res) => {
    const setup: AdminSetup = { hasAccounts: await hasAdminAccounts(gw.db) };
    res.json(setup);
  });

  /** Sign in with email and password: sets the session cookie and answers who is signed in. */
  r.post('/session', async (req: Request, res: Response) => {
    checkCsrf(req);
    const body = parse.signIn(req.body);
    const email = body.email.toLowerCase();
    const admitted = await admitSignIn(gw.db, email, req.ip ?? '', SIGN_IN_LIMITS);
    if (!admitted.ok) {
      gw.log.warn({ email, ip: req.ip }, 'admin sign-in throttled');
      const seconds = Math.ceil(admitted.retryAfterMs / 1000);
      throw new RateLimitError(`Too many sign-in attempts. Try again in ${Math.ceil(seconds / 60)} minute(s).`, seconds, {}, 'too_many_sign_in_attempts');
    }
    const found = await findAdminForSignIn(gw.db, email);
    const ok = await verifyPassword(body.password, found?.passwordHash ?? (await decoyHash()));
    if (!found || !ok || found.account.disabled) {
      gw.log.warn({ email, ip: req.ip }, 'admin sign-in refused');
      throw new AuthenticationError(WRONG, 'invalid_credentials');
    }
    gw.log.info({ email, ip: req.ip }, 'admin signed in');
    await signInSucceeded(gw.db, found.account.id, email);
    if (needsRehash(found.passwordHash)) await setPasswordHash(gw.db, found.account.id, await hashPassword(body.password));
    const session = await createSession(gw.db, found.account.id, gw.env.ADMIN_SESSION_HOURS * 3_600_000, { ip: req.ip ?? '', userAgent: req.get('user-agent') ?? '' });
    res.cookie(SESSION_COOKIE, session.id, { ...sessionCookieOptions(req, gw.env), expires: new Date(session.expiresAt) });
    res.setHeader('cache-control', 'no-store');
    res.json(sessionView({ kind: 'account', role: found.account.role, account: found.account, sessionId: session.id, expiresAt: session.expiresAt }));
  });

  /** Sign out: the session ends on the server, whatever state the cookie is in. */
  r.delete('/session', async (req, res) => {
    checkCsrf(req);
    const id = readCookie(req, SESSION_COOKIE);
    if (id) await deleteSession(gw.db, id);
    res.clearCookie(SESSION_COOKIE, sessionCookieOptions(req, gw.env));
    res.status(204).end();
  });

  return r;
}

/** What every signed-in caller may do for themselves, whatever their role. */
export function ownSessionRoutes(gw: Gateway): Router {
  const r = Router();

  r.get('/session', (_req, res) => {
    res.json(sessionView(callerOf(res)));
  });

  /** Changes the signed-in account's password and signs it out everywhere else. */
  r.post('/session/password', async (req, res) => {
    const caller = callerOf(res);
    if (!caller.account) throw new InvalidRequestError('The admin token has no password; sign in with an account to change one.', { code: 'not_an_account' });
    const body = parse.password(req.body);
    const stored = await passwordHashOf(gw.db, caller.account.id);
    if (!stored || !(await verifyPassword(body.currentPassword, stored))) {
      throw new InvalidRequestError('The current password is not right.', { param: 'currentPassword', code: 'invalid_credentials' });
    }
    const hash = await hashPassword(body.newPassword);
    const account = caller.account;
    await gw.db.transaction(async (tx) => {
      await setPasswordHash(tx, account.id, hash);
      await deleteOtherSessions(tx, account.id, caller.sessionId ?? undefined);
      await recordAudit(tx, actorOf(res), { action: 'admin_account.password_change', target: { type: 'admin_account', id: account.id }, after: { email: account.email } });
    });
    res.status(204).end();
  });

  return r;
}
