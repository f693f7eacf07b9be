import { ConflictError, GatewayError, InvalidRequestError } from '../../errors.js';

/**
 * Postgres constraint violations from admin writes → 409/400 naming the field that clashed.
 * The message is ours, never the database's: its text names tables, constraints and values.
 * Constraint names are Postgres's defaults for the tables in migrations/.
 */
interface ConstraintField {
  param: string;
  /** 23505: the value is taken. */
  taken?: string;
  /** 23503 on a write: the row it refers to does not exist. */
  missing?: string;
  /** 23503 on a delete: other rows still refer to this one. */
  inUse?: string;
}

const CONSTRAINTS: Record<string, ConstraintField> = {
  providers_pkey: { param: 'id', taken: 'A provider with this id already exists.' },
  models_pkey: { param: 'alias', taken: 'A model with this alias already exists.' },
  plans_pkey: { param: 'id', taken: 'A plan with this id already exists.' },
  admin_accounts_email_key: { param: 'email', taken: 'An admin account with this email already exists.' },
  users_email_key: { param: 'email', taken: 'A user with this email already exists.' },
  prices_model_alias_effective_from_key: { param: 'effectiveFrom', taken: 'This model already has a price starting at that time.' },
  models_provider_id_fkey: { param: 'providerId', missing: 'No provider with this id.', inUse: 'Models still use this provider; move or delete them first.' },
  users_plan_id_fkey: { param: 'planId', missing: 'No plan with this id.', inUse: 'Users are still on this plan; move them first.' },
  users_account_id_fkey: { param: 'accountId', missing: 'No account with this id.', inUse: 'Users still belong to this account.' },
  provider_keys_provider_id_fkey: { param: 'providerId', missing: 'No provider with this id.' },
  prices_model_alias_fkey: { param: 'alias', missing: 'No model with this alias.' },
  api_keys_user_id_fkey: { param: 'userId', missing: 'No user with this id.' },
  alerts_webhook_id_fkey: { param: 'webhookId', missing: 'No webhook with this id.' },
  alerts_account_id_fkey: { param: 'accountId', missing: 'No account with this id.' },
  alerts_api_key_id_fkey: { param: 'keyId', missing: 'No API key with this id.' },
  alerts_user_id_fkey: { param: 'userId', missing: 'No user with this id.' },
  ledger_account_id_fkey: { param: 'id', missing: 'No account with this id.', inUse: 'The account has ledger entries.' },
};

/** On a delete, the violated foreign key is the referring table's; the param is then the deleted row's key. */
export type DbAction = 'write' | 'delete';

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function fromDbError(err: unknown, action: DbAction = 'write'): GatewayError | unknown {
  const e = err as { code?: string; constraint?: string; table?: string };
  const known = e.constraint ? CONSTRAINTS[e.constraint] : undefined;
  switch (e.code) {
    case '23505':
      return new ConflictError(known?.taken ?? 'A record with this value already exists.', 'already_exists', known?.param ?? null);
    case '23503':
      if (action === 'delete') return new ConflictError(known?.inUse ?? 'Other records still refer to this one.', 'in_use', 'id');
      return new InvalidRequestError(known?.missing ?? 'Refers to something that does not exist.', { code: 'reference_error', param: known?.param ?? null });
    case '23514': {
      // CHECK constraints are named <table>_<column>_check; the column names the field.
      const column = e.table && e.constraint?.startsWith(`${e.table}_`) ? e.constraint.slice(e.table.length + 1).replace(/_check$/, '') : '';
      const param = column && column !== 'check' ? camel(column) : null;
      return new InvalidRequestError(param ? `Invalid value for '${param}'.` : 'A value was out of range.', { code: 'constraint_violation', param });
    }
    case '22P02':
      return new InvalidRequestError('Not a valid identifier.', { code: 'invalid_id' });
    default:
      return err;
  }
}

export async function mapDbErrors<T>(fn: () => Promise<T>, action: DbAction = 'write'): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromDbError(err, action);
  }
}
