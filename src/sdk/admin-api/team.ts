import { Type, type Static } from '@sinclair/typebox';
import { OneOf, OrNull, Timestamp } from './common.js';

/** The admin team: accounts, roles, sessions and the audit log — request bodies, answers and the role table. */

export const ADMIN_ROLES = ['owner', 'admin', 'billing', 'viewer'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/**
 * What a role may do. `read` is every GET of the admin API except the team itself; the others are
 * the writes of one area. The server checks these on every admin route (src/http/admin/roles.ts);
 * the panel reads the same table to hide what a role cannot use.
 */
export const ADMIN_PERMISSIONS = ['read', 'catalogue', 'plans', 'customers', 'credits', 'team'] as const;
export type AdminPermission = (typeof ADMIN_PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Record<AdminRole, readonly AdminPermission[]> = {
  owner: ADMIN_PERMISSIONS,
  admin: ['read', 'catalogue', 'plans', 'customers', 'credits'],
  billing: ['read', 'plans', 'credits'],
  viewer: ['read'],
};

export const roleCan = (role: AdminRole, permission: AdminPermission): boolean => ROLE_PERMISSIONS[role].includes(permission);

const Email = Type.String({ format: 'email', maxLength: 254 });
/** At least 12 characters; the KDF makes guessing slow, the length makes it hopeless. */
const Password = Type.String({ minLength: 12, maxLength: 200 });

export const SignIn = Type.Object({ email: Email, password: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export type SignIn = Static<typeof SignIn>;

export const PasswordChange = Type.Object({ currentPassword: Type.String({ minLength: 1, maxLength: 200 }), newPassword: Password }, { additionalProperties: false });
export type PasswordChange = Static<typeof PasswordChange>;

export const AdminAccountCreate = Type.Object(
  { email: Email, name: Type.Optional(Type.String({ maxLength: 200 })), role: OneOf(ADMIN_ROLES), password: Password },
  { additionalProperties: false },
);
export type AdminAccountCreate = Static<typeof AdminAccountCreate>;

/** `password` sets a new one (and signs the account out everywhere), as does `disabled: true`. */
export const AdminAccountUpdate = Type.Partial(
  Type.Object({ name: Type.String({ maxLength: 200 }), role: OneOf(ADMIN_ROLES), disabled: Type.Boolean(), password: Password }),
  { additionalProperties: false, minProperties: 1 },
);
export type AdminAccountUpdate = Static<typeof AdminAccountUpdate>;

export const AdminAccount = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: OneOf(ADMIN_ROLES),
  disabled: Type.Boolean(),
  lastSignInAt: OrNull(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type AdminAccount = Static<typeof AdminAccount>;

/** Who is calling: a signed-in account, or the bootstrap admin token (which acts as owner). */
export const AdminSession = Type.Object({
  kind: OneOf(['account', 'token'] as const),
  role: OneOf(ADMIN_ROLES),
  account: OrNull(AdminAccount),
  permissions: Type.Array(OneOf(ADMIN_PERMISSIONS)),
  expiresAt: OrNull(Timestamp),
});
export type AdminSession = Static<typeof AdminSession>;

/** What the sign-in page needs before anyone is signed in. */
export const AdminSetup = Type.Object({ hasAccounts: Type.Boolean() });
export type AdminSetup = Static<typeof AdminSetup>;

export const AuditEntry = Type.Object({
  id: Type.String(),
  at: Timestamp,
  actorKind: OneOf(['account', 'token'] as const),
  actorId: OrNull(Type.String()),
  /** The account's email at the time, or "admin token". */
  actor: Type.String(),
  /** "<target type>.<verb>", e.g. "model.update", "credits.grant". */
  action: Type.String(),
  targetType: Type.String(),
  targetId: OrNull(Type.String()),
  /** The target before and after the change (secrets masked); null when it did not exist. */
  before: Type.Unknown(),
  after: Type.Unknown(),
});
export type AuditEntry = Static<typeof AuditEntry>;
export const AuditPage = Type.Object({ data: Type.Array(AuditEntry), nextBefore: OrNull(Type.String()) });
export type AuditPage = Static<typeof AuditPage>;

export interface AuditQuery {
  /** Matches the actor's email (part of it) or "token". */
  actor?: string;
  /** An exact action ("plan.update") or a target type's prefix ("plan."). */
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: string;
  to?: string;
  before?: string;
  limit?: number;
}
