import type { Queryable } from '../store/db.js';
import { ConflictError, GatewayError, InvalidRequestError } from '../errors.js';

/**
 * Idempotency-Key: the first request with a key (per account) claims it; repeats are answered
 * from the first one's stored response and never charged again (the ledger also refuses a second
 * charge for one request id). A repeat while the first is still running is a 409; a key reused
 * with a different body is a 422. A failed first request releases its key so it can be retried.
 */

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; body: string; headers: Record<string, string>; stream: boolean; requestId: string };

const KEY_RE = /^[\x21-\x7e]{1,255}$/;

export function checkIdempotencyKey(key: string): string {
  if (!KEY_RE.test(key)) {
    throw new InvalidRequestError('Idempotency-Key must be 1–255 printable ASCII characters without spaces.', { param: 'Idempotency-Key', code: 'invalid_idempotency_key' });
  }
  return key;
}

interface Row {
  state: 'running' | 'done';
  request_hash: string;
  request_id: string;
  stream: boolean;
  response_status: number | null;
  response_body: string | null;
  response_headers: Record<string, string> | null;
  stale: boolean;
}

export async function claimIdempotencyKey(
  db: Queryable,
  c: { accountId: string; key: string; hash: string; requestId: string; stream: boolean; runningTtlMs: number },
  /** Waits (bounded) until settlements already appended are written: a finished first request may only be on its way. */
  settled: () => Promise<void> = async () => undefined,
): Promise<Claim> {
  let waited = false;
  for (let tries = 0; tries < 3; tries++) {
    const inserted = await db.query(
      `INSERT INTO idempotency_keys (account_id, key, request_hash, request_id, state, stream, expires_at)
       VALUES ($1, $2, $3, $4, 'running', $5, now() + $6 * interval '1 millisecond')
       ON CONFLICT (account_id, key) DO NOTHING`,
      [c.accountId, c.key, c.hash, c.requestId, c.stream, c.runningTtlMs],
    );
    if (inserted.rowCount === 1) return { kind: 'claimed' };

    const { rows } = await db.query<Row>(
      `SELECT state, request_hash, request_id, stream, response_status, response_body, response_headers, (expires_at < now()) AS stale
         FROM idempotency_keys WHERE account_id = $1 AND key = $2`,
      [c.accountId, c.key],
    );
    const row = rows[0];
    if (!row) continue; // released between our insert and select: try to claim again
    if (row.request_hash !== c.hash) {
      throw new GatewayError('unprocessable', 'This Idempotency-Key was already used with a different request body.', {
        code: 'idempotency_key_reused',
        param: 'Idempotency-Key',
      });
    }
    if (row.state === 'done') {
      return { kind: 'replay', status: row.response_status ?? 200, body: row.response_body ?? '', headers: row.response_headers ?? {}, stream: row.stream, requestId: row.request_id };
    }
    if (!row.stale && !waited) {
      waited = true;
      tries--;
      await settled();
      continue;
    }
    if (!row.stale) throw new ConflictError('A request with this Idempotency-Key is still in progress; retry when it has finished.', 'idempotency_key_in_progress');
    // The first attempt's instance died: take the claim over.
    const taken = await db.query(
      `UPDATE idempotency_keys SET request_id = $3, expires_at = now() + $4 * interval '1 millisecond'
        WHERE account_id = $1 AND key = $2 AND state = 'running' AND expires_at < now()`,
      [c.accountId, c.key, c.requestId, c.runningTtlMs],
    );
    if (taken.rowCount === 1) return { kind: 'claimed' };
  }
  throw new ConflictError('A request with this Idempotency-Key is still in progress; retry when it has finished.', 'idempotency_key_in_progress');
}
