import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../../src/store/migrate.js';
import { PgDb } from '../../../src/store/pg.js';
import { PgliteDb } from '../../../src/store/pglite.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

/** Starting PGlite (a WebAssembly Postgres) and migrating it takes seconds, and far longer on a busy machine: a deadline, not a speed check. */
const PGLITE_DEADLINE_MS = 180_000;

describe('migrations', () => {
  it('are safe from several instances at once and on every start', async () => {
    const instances = [1, 2, 3].map(() => new PgDb({ connectionString: db.url, poolSize: 2 }));
    const results = await Promise.all(instances.map((i) => migrate(i)));
    const applied = results.flat();
    expect(applied).toEqual(readMigrations().map((m) => m.name));
    expect(await migrate(instances[0]!)).toEqual([]);
    await Promise.all(instances.map((i) => i.close()));
    const tables = await db.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    expect(tables.map((t) => t.tablename)).toEqual(
      expect.arrayContaining(['accounts', 'api_keys', 'holds', 'ledger', 'models', 'plans', 'prices', 'provider_keys', 'providers', 'requests', 'users']),
    );
  });

  it('refuse to run when an applied migration file was edited', async () => {
    const pg = new PgDb({ connectionString: db.url, poolSize: 1 });
    const edited = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'changed' } : m));
    await expect(migrate(pg, edited)).rejects.toThrow(/changed after it was applied/);
    await pg.close();
  });

  it('run the same SQL on embedded PGlite', async () => {
    const lite = await PgliteDb.open();
    expect((await migrate(lite)).length).toBe(readMigrations().length);
    const { rows } = await lite.query<{ id: string }>("SELECT id FROM plans WHERE id = 'default'");
    expect(rows).toHaveLength(1);
    await lite.close();
  }, PGLITE_DEADLINE_MS);
});

describe('the PGlite adapter', () => {
  it('reports rowCount like pg: rows returned, or rows affected', async () => {
    const lite = await PgliteDb.open();
    await migrate(lite);
    expect((await lite.query("SELECT id FROM plans WHERE id = 'default'")).rowCount).toBe(1);
    expect((await lite.query("SELECT id FROM plans WHERE id = 'nope'")).rowCount).toBe(0);
    expect((await lite.query("UPDATE plans SET name = 'D' WHERE id = 'default'")).rowCount).toBe(1);
    expect((await lite.query("INSERT INTO plans (id, name) VALUES ('x', 'X') RETURNING id")).rowCount).toBe(1);
    await lite.close();
  }, PGLITE_DEADLINE_MS);
});
