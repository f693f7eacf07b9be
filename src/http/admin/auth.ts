import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sha256 } from '../../store/secrets.js';
import { AuthenticationError } from '../../errors.js';

/** Admin routes accept only "Authorization: Bearer <admin token>", compared in constant time. */
export function adminAuth(tokenHash: Buffer) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m || !timingSafeEqual(sha256(m[1]!), tokenHash)) {
      next(new AuthenticationError('Admin routes need "Authorization: Bearer <admin token>".', 'invalid_admin_token'));
      return;
    }
    next();
  };
}
