import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db.js';

/**
 * Postgres embedded in the process (WASM), for the single-instance default. Same SQL, same
 * migrations; PGlite serialises queries itself, so a transaction holds the only connection.
 */
export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;

  private constructor(private readonly pg: PGlite) {}

  /** dataDir: a folder for persistent storage, or undefined for an in-memory database. */
  static async open(dataDir?: string): Promise<PgliteDb> {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const pg = await PGlite.create(dataDir ? { dataDir } : {});
    return new PgliteDb(pg);
  }

  private static readonly parsers = { [types.INT8]: (v: string) => v };

  /** pg's rowCount: rows returned by a query that returns rows, rows affected otherwise (PGlite reports 0 affected for SELECT). */
  private static rowCount(res: { rows: unknown[]; fields: unknown[]; affectedRows?: number }): number {
    return res.fields.length > 0 ? res.rows.length : (res.affectedRows ?? 0);
  }

  async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const res = await this.pg.query<R>(sql, params as unknown[] | undefined, { parsers: PgliteDb.parsers });
    return { rows: res.rows, rowCount: PgliteDb.rowCount(res) };
  }

  async exec(sql: string): Promise<void> {
    await this.pg.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pg.transaction(async (t) => {
      const tx: Queryable = {
        query: async <R>(sql: string, params?: readonly unknown[]) => {
          const res = await t.query<R>(sql, params as unknown[] | undefined, { parsers: PgliteDb.parsers });
          return { rows: res.rows, rowCount: PgliteDb.rowCount(res) };
        },
        exec: async (sql: string) => {
          await t.exec(sql);
        },
      };
      return fn(tx);
    });
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const unsubscribe = await this.pg.listen(channel, onNotify);
    return unsubscribe;
  }

  async close(): Promise<void> {
    await this.pg.close();
  }
}
