import type { Db } from '../store/db.js';
import type { SecretBox } from '../store/secrets.js';
import { buildCatalogue, Catalogue, fetchCatalogueRows, type CatalogueRows } from './catalogue.js';

export interface VersionedRows {
  version: number;
  rows: CatalogueRows;
}

/** The catalogue version and rows read together, so the version never claims more than the rows hold. */
export async function readCatalogue(db: Db): Promise<VersionedRows> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const { rows } = await tx.query<{ version: string }>("SELECT version FROM config_versions WHERE name = 'catalogue'");
    return { version: Number(rows[0]?.version ?? 0), rows: await fetchCatalogueRows(tx) };
  });
}

/**
 * Holds the current catalogue snapshot for this process. Readers take `current` (no awaiting,
 * no database); a change builds a new snapshot and swaps it in whole, so a request never sees
 * half an edit. `version` is the catalogue version the snapshot reflects.
 */
export class ConfigStore {
  private snapshot: Catalogue = Catalogue.empty();
  private loaded = false;
  private reloading: Promise<void> | undefined;
  private pending = false;
  version = -1;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {}

  get current(): Catalogue {
    return this.snapshot;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Swaps in a snapshot (from Postgres or from the shared Redis copy) unless it is older. */
  apply(v: VersionedRows): boolean {
    if (this.loaded && v.version < this.version) return false;
    this.snapshot = buildCatalogue(v.rows, this.secrets);
    this.version = v.version;
    this.loaded = true;
    return true;
  }

  /** Reloads from Postgres. Concurrent calls coalesce; a call during a reload schedules one more. */
  async reload(): Promise<void> {
    if (this.reloading) {
      this.pending = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      try {
        do {
          this.pending = false;
          this.apply(await readCatalogue(this.db));
        } while (this.pending);
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }
}
