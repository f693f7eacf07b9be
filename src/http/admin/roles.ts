import type { NextFunction, Request, Response } from 'express';
import { roleCan, type AdminPermission } from '../../sdk/admin-api/index.js';
import { PermissionError } from '../../errors.js';
import { callerOf } from './auth.js';

/**
 * Which permission each admin route needs, by method and path (relative to /admin/api). Checked
 * once for every route, before any route runs, so a route cannot forget it: reads need `read`
 * (the team list needs `team`), writes need their area's permission, and a write that matches no
 * area needs `team`, which only owners have — a new route is closed until it is placed here.
 * The roles are in src/sdk/admin-api/team.ts; test/integration/admin-roles.test.ts walks every route.
 */
const WRITES: [RegExp, AdminPermission][] = [
  [/^\/(providers|models)(\/|$)/, 'catalogue'],
  [/^\/plans(\/|$)/, 'plans'],
  [/^\/accounts\/[^/]+\/(grants|adjustments)$/, 'credits'],
  // Spend caps, and alerts with the webhooks they go to: money matters billing runs.
  [/^\/(keys|users)\/[^/]+\/limits$/, 'credits'],
  [/^\/(webhooks|alerts)(\/|$)/, 'credits'],
  [/^\/(users|keys)(\/|$)/, 'customers'],
];
const TEAM = /^\/team(\/|$)/;

export function permissionFor(method: string, path: string): AdminPermission {
  if (TEAM.test(path)) return 'team';
  if (method === 'GET' || method === 'HEAD') return 'read';
  return WRITES.find(([re]) => re.test(path))?.[1] ?? 'team';
}

export function requirePermission(req: Request, res: Response, next: NextFunction): void {
  const caller = callerOf(res);
  const needed = permissionFor(req.method, req.path);
  if (!roleCan(caller.role, needed)) {
    next(new PermissionError(`Your role (${caller.role}) cannot do this: it needs the '${needed}' permission.`, 'insufficient_role'));
    return;
  }
  next();
}
