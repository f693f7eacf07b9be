import { loadEnv } from './config/env.js';
import { migrate } from './store/migrate.js';
import { PgDb } from './store/pg.js';
import { PgliteDb } from './store/pglite.js';
import { join } from 'node:path';

/** `npm run migrate` — applies pending migrations to DATABASE_URL (or the embedded database). */
const env = loadEnv(process.env, { serving: false });
const db = env.DATABASE_URL ? new PgDb({ connectionString: env.DATABASE_URL, poolSize: 1 }) : await PgliteDb.open(join(env.DATA_DIR, 'pgdata'));
const applied = await migrate(db);
process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
await db.close();
