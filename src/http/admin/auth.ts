import { timingSafeEqual } from 'node:crypto';
import type { CookieOptions, NextFunction, Request, Response } from 'express';
import type { AuditActor } from '../../audit/log.js';
import { sessionAccount } from '../../auth/admin-sessions.js';
import type { Env } from '../../config/env.js';
import type { Gateway } from '../../gateway.js';
import type { AdminAccount, AdminRole } from '../../sdk/admin-api/index.js';
import { sha256 } from '../../store/secrets.js';
import { AuthenticationError, PermissionError } from '../../errors.js';

/**
 * Who may call the admin API (docs/ARCHITECTURE.md, "The admin team"):
 * - "Authorization: Bearer <admin token>" — the bootstrap token, for first start and automation;
 *   compared in constant time; it acts as an owner;
 * - the panel's session cookie (HttpOnly, SameSite=Strict, Path=/admin), set at sign-in. Unsafe
 *   methods with the cookie must also carry "X-Requested-With" and, when the browser sends an
 *   Origin, our own origin: a cross-site page cannot add that header without a CORS preflight we never
 *   answer, so a forged request fails even in a browser that ignores SameSite.
 */

export const SESSION_COOKIE = 'tollgate_admin_session';
export const CSRF_HEADER = 'x-requested-with';

export interface AdminCaller {
  kind: 'account' | 'token';
  role: AdminRole;
  account: AdminAccount | null;
  /** The session cookie's id (account callers only). */
  sessionId: string | null;
  expiresAt: string | null;
}

const TOKEN_CALLER: AdminCaller = { kind: 'token', role: 'owner', account: null, sessionId: null, expiresAt: null };

export function callerOf(res: Response): AdminCaller {
  return res.locals.admin as AdminCaller;
}

/** The caller as the audit log records it. */
export function actorOf(res: Response): AuditActor {
  const c = callerOf(res);
  return c.account ? { kind: 'account', id: c.account.id, label: c.account.email } : { kind: 'token', id: null, label: 'admin token' };
}

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function sessionCookieOptions(req: Request, env: Env): CookieOptions {
  const secure = env.ADMIN_COOKIE_SECURE === 'always' || (env.ADMIN_COOKIE_SECURE === 'auto' && req.secure);
  return { httpOnly: true, sameSite: 'strict', secure, path: '/admin' };
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether the Origin names this gateway: its host is the request's Host or, behind a proxy that
 * rewrites Host, the X-Forwarded-Host it passes on. The scheme is not compared (a proxy that ends
 * TLS may not say so), and "null" (a sandboxed or privacy-stripped origin) is not ours.
 */
function sameHost(origin: string, req: Request): boolean {
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const forwarded = String(req.headers['x-forwarded-host'] ?? '').split(',')[0]!.trim();
  return host === req.headers.host || (forwarded !== '' && host === forwarded);
}

/** Refuses a cookie-authenticated unsafe request that a cross-site page could have sent. */
export function checkCsrf(req: Request): void {
  if (SAFE.has(req.method)) return;
  if (!req.headers[CSRF_HEADER]) throw new PermissionError(`Admin writes from the panel must carry the "X-Requested-With" header.`, 'csrf_check_failed');
  const origin = req.headers.origin;
  if (origin !== undefined && !sameHost(origin, req)) throw new PermissionError('This request came from another site.', 'csrf_check_failed');
}

function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : '';
}

/** Sets `res.locals.admin` to the caller, or fails with 401 (no valid token or session) / 403 (CSRF). */
export function adminAuth(gw: Gateway, tokenHash: Buffer) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = bearerToken(req);
    if (token !== undefined) {
      if (!token || !timingSafeEqual(sha256(token), tokenHash)) {
        next(new AuthenticationError('Admin routes need "Authorization: Bearer <admin token>" or a signed-in session.', 'invalid_admin_token'));
        return;
      }
      res.locals.admin = TOKEN_CALLER;
      next();
      return;
    }
    const sessionId = readCookie(req, SESSION_COOKIE);
    if (!sessionId) {
      next(new AuthenticationError('Sign in to the admin panel, or pass "Authorization: Bearer <admin token>".', 'not_signed_in'));
      return;
    }
    sessionAccount(gw.db, sessionId).then((found) => {
      if (!found) throw new AuthenticationError('Your session has ended; sign in again.', 'session_expired');
      checkCsrf(req);
      const caller: AdminCaller = { kind: 'account', role: found.account.role, account: found.account, sessionId, expiresAt: found.expiresAt };
      res.locals.admin = caller;
      next();
    }, next).catch(next);
  };
}
