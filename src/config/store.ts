import type { Db } from '../store/db.js';
import type { SecretBox } from '../store/secrets.js';
import { Catalogue, loadCatalogue } from './catalogue.js';

/**
 * Holds the current catalogue snapshot for this process. Readers take `current` (no awaiting,
 * no database); `reload()` builds a fresh snapshot and swaps it in.
 */
export class ConfigStore {
  private snapshot: Catalogue = Catalogue.empty();
  private loaded = false;
  private reloading: Promise<void> | undefined;
  private pending = false;

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
          this.snapshot = await loadCatalogue(this.db, this.secrets);
          this.loaded = true;
        } while (this.pending);
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }
}
