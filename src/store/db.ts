/**
 * The database interface the rest of the gateway sees. Two implementations share it: `pg`
 * against a real Postgres (store/pg.ts) and PGlite embedded in the process (store/pglite.ts).
 * BIGINT columns come back as strings from both; money code turns them into bigint.
 */

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a parameterless script of several statements (migrations only). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn inside BEGIN … COMMIT on one connection; rolls back if fn throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Subscribes to a NOTIFY channel. The returned function unsubscribes. `onReconnect` runs after
   * a lost listening connection is back (notifications sent meanwhile were missed).
   */
  listen(channel: string, onNotify: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
