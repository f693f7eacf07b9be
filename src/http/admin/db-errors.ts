import { ConflictError, GatewayError, InvalidRequestError } from '../../errors.js';

/** Postgres constraint violations from admin writes → 409/400 naming what clashed. */
export function fromDbError(err: unknown): GatewayError | unknown {
  const e = err as { code?: string; constraint?: string; detail?: string; message?: string };
  switch (e.code) {
    case '23505':
      return new ConflictError(`Already exists: ${e.detail ?? e.constraint ?? 'duplicate value'}`, 'already_exists');
    case '23503':
      return new InvalidRequestError(`Refers to something that does not exist or is still in use: ${e.detail ?? e.constraint ?? ''}`.trim(), { code: 'reference_error' });
    case '23514':
      return new InvalidRequestError(`Value rejected by constraint ${e.constraint ?? ''}.`, { code: 'constraint_violation', param: e.constraint ?? null });
    case '22P02':
      return new InvalidRequestError(`Invalid identifier: ${e.message ?? ''}`, { code: 'invalid_id' });
    default:
      return err;
  }
}

export async function mapDbErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromDbError(err);
  }
}
