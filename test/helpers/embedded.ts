import type { Queryable } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { PgliteDb } from '../../src/store/pglite.js';

/** PGlite starts (WASM) and applies every migration: slow on a busy machine, bounded only to fail eventually. */
export const PGLITE_DEADLINE_MS = 120_000;

/** A fresh embedded database (PGlite) with every migration applied. */
export async function openEmbedded(): Promise<PgliteDb> {
  const db = await PgliteDb.open();
  await migrate(db);
  return db;
}

export interface Owner {
  accountId: string;
  userId: string;
  keyId: string;
}

/** An account funded with `balance` micros (granted in the ledger), its one user on the default plan, and that user's API key. */
export async function createOwner(db: Queryable, balance = 1_000_000): Promise<Owner> {
  const accountId = (await db.query<{ id: string }>("INSERT INTO accounts (name, balance) VALUES ('a', $1) RETURNING id", [balance])).rows[0]!.id;
  await db.query("INSERT INTO ledger (account_id, kind, amount) VALUES ($1, 'grant', $2)", [accountId, balance]);
  const userId = (await db.query<{ id: string }>("INSERT INTO users (account_id, email, plan_id) VALUES ($1, 'e@x.test', 'default') RETURNING id", [accountId])).rows[0]!.id;
  const keyId = (await db.query<{ id: string }>("INSERT INTO api_keys (user_id, key_hash, prefix) VALUES ($1, '\\x01', 'tg_x') RETURNING id", [userId])).rows[0]!.id;
  return { accountId, userId, keyId };
}
