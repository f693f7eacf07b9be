import pg from 'pg';
import type { Db, Queryable, QueryResult } from './db.js';

// BIGINT (int8) stays a string; money code converts it to bigint exactly.
pg.types.setTypeParser(20, (v: string) => v);

export interface PgDbOptions {
  connectionString: string;
  /**
   * Where the LISTEN connection goes (default: connectionString). A LISTEN is session state: through
   * a PgBouncer in transaction pooling mode it would land on whichever server connection the pool
   * lends and its notifications would be lost, so it needs a direct connection to Postgres.
   */
  listenConnectionString?: string;
  poolSize: number;
  applicationName?: string;
  onError?: (err: Error) => void;
}

/**
 * Postgres through a pool of connections, which may be a PgBouncer in transaction pooling mode:
 * nothing here keeps session state on a pooled connection (no session SET, no session advisory
 * lock, no named prepared statement; a transaction runs on one connection from BEGIN to COMMIT).
 * Only LISTEN needs a session, and it has its own connection.
 */
export class PgDb implements Db {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  private listenClient: pg.Client | undefined;
  private readonly listeners = new Map<string, Set<(payload: string) => void>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private closed = false;

  constructor(private readonly opts: PgDbOptions) {
    this.pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.poolSize,
      application_name: opts.applicationName ?? 'tollgate',
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
    });
    this.pool.on('error', (err) => opts.onError?.(err));
  }

  async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const res = await this.pool.query(sql, params as unknown[] | undefined);
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // One connection runs one query at a time; queries issued together inside a transaction
    // are chained here rather than handed to pg concurrently.
    let chain: Promise<unknown> = Promise.resolve();
    const tx: Queryable = {
      query: <R>(sql: string, params?: readonly unknown[]) => {
        const run = chain.then(async () => {
          const res = await client.query(sql, params as unknown[] | undefined);
          return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
        });
        chain = run.catch(() => undefined);
        return run;
      },
      exec: async (sql: string) => {
        await client.query(sql);
      },
    };
    try {
      await client.query('BEGIN');
      const out = await fn(tx);
      await client.query('COMMIT');
      client.release();
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A connection in an unknown state is discarded rather than returned to the pool.
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  }

  /**
   * LISTEN uses one dedicated connection. If it drops, it is re-established with backoff and
   * every channel is listened to again; `onReconnect` then lets the caller repair what it missed.
   */
  async listen(channel: string, onNotify: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      const client = await this.ensureListenClient();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    }
    set.add(onNotify);
    if (onReconnect) this.reconnectHandlers.add(onReconnect);
    return async () => {
      set!.delete(onNotify);
      if (onReconnect) this.reconnectHandlers.delete(onReconnect);
    };
  }

  private async ensureListenClient(): Promise<pg.Client> {
    if (this.listenClient) return this.listenClient;
    const client = new pg.Client({ connectionString: this.opts.listenConnectionString ?? this.opts.connectionString, application_name: 'tollgate-listen' });
    client.on('notification', (msg) => {
      const set = this.listeners.get(msg.channel);
      if (set) for (const fn of set) fn(msg.payload ?? '');
    });
    const reconnect = () => {
      if (this.listenClient !== client) return;
      this.listenClient = undefined;
      client.end().catch(() => undefined);
      if (!this.closed) void this.reconnectListen(250);
    };
    client.on('error', (err) => {
      this.opts.onError?.(err);
      reconnect();
    });
    client.on('end', reconnect);
    await client.connect();
    this.listenClient = client;
    return client;
  }

  private async reconnectListen(delayMs: number): Promise<void> {
    await new Promise((r) => setTimeout(r, delayMs).unref());
    if (this.closed) return;
    try {
      const client = await this.ensureListenClient();
      for (const channel of this.listeners.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      for (const fn of this.reconnectHandlers) fn();
    } catch (err) {
      this.opts.onError?.(err as Error);
      this.listenClient = undefined;
      void this.reconnectListen(Math.min(delayMs * 2, 5_000));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const listen = this.listenClient;
    this.listenClient = undefined;
    await listen?.end().catch(() => undefined);
    await this.pool.end();
  }
}
