import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { ConfigStore } from '../../src/config/store.js';
import { ConfigSync } from '../../src/config/sync.js';
import { createLogger } from '../../src/observability/logger.js';
import { migrate } from '../../src/store/migrate.js';
import { PgDb } from '../../src/store/pg.js';
import { SecretBox } from '../../src/store/secrets.js';
import { MemoryStore } from '../../src/store/shared.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_ENCRYPTION_KEY } from '../helpers/env.js';

let tdb: TestDatabase;
let db: PgDb;
let sync: ConfigSync;
const store = new MemoryStore();
const seen: string[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = new PgDb({ connectionString: tdb.url, poolSize: 2 });
  await migrate(db);
  const config = new ConfigStore(db, new SecretBox(TEST_ENCRYPTION_KEY));
  await config.reload();
  const auth = new Authenticator(db, undefined);
  // Records what the sync asks of the key cache, then does it.
  const evictHash = auth.evictHash.bind(auth);
  const invalidateAll = auth.invalidateAll.bind(auth);
  auth.evictHash = (hash) => (seen.push(`evict ${hash}`), evictHash(hash));
  auth.invalidateAll = () => (seen.push('forget all'), invalidateAll());
  sync = new ConfigSync(db, store, config, auth, createLogger('silent'), { instanceId: 't', checkIntervalMs: 60_000, leaseMs: 60_000 });
  await sync.start();
});

afterAll(async () => {
  await sync?.stop();
  await db?.close();
  await tdb?.drop();
});

const event = (e: object) => store.publish('config-events', JSON.stringify(e));

describe('key change messages', () => {
  it('a skipped keys version (a missed message) forgets every cached verdict, not just the named key', async () => {
    await event({ kind: 'key', version: 1, hash: 'aa' });
    await event({ kind: 'key', version: 3, hash: 'bb' }); // version 2 never arrived
    await event({ kind: 'keys', version: 3 }); // a repair that is not news
    await event({ kind: 'key', version: 4, hash: 'cc' });
    expect(seen).toEqual(['evict aa', 'forget all', 'evict cc']);
  });
});
