import type { Authenticator } from '../auth/authenticator.js';
import type { Logger } from '../observability/logger.js';
import type { Db } from '../store/db.js';
import type { SharedStore } from '../store/shared.js';
import { readCatalogue, type ConfigStore, type VersionedRows } from './store.js';

/** What the Postgres triggers send (migration 0004) and what is fanned out to instances. */
type ChangeEvent =
  | { kind: 'catalogue'; version: number }
  | { kind: 'key'; version: number; hash: string }
  | { kind: 'user'; version: number; user: string }
  /** Some key or user changed without a message (repair): forget every cached verdict. */
  | { kind: 'keys'; version: number };

const EVENTS = 'config-events';
const SNAPSHOT = 'config:snapshot';
const CATALOGUE_VERSION = 'config:version';
const KEYS_VERSION = 'keys:version';
const LEADER = 'config-leader';

export interface ConfigSyncOptions {
  instanceId: string;
  /** How often every instance compares versions (repairs a missed message). */
  checkIntervalMs: number;
  /** Lease of the instance that listens to Postgres and fans changes out. */
  leaseMs: number;
}

/**
 * Real-time config invalidation (DESIGN §5). A committed change → Postgres trigger → NOTIFY →
 * the leader instance (one, by a Redis lease) → snapshot written to Redis → pub/sub event →
 * every instance swaps its snapshot or evicts the changed keys. Every instance also compares
 * versions every `checkIntervalMs`; the leader compares Redis with Postgres, so a missed
 * NOTIFY, a dropped LISTEN connection or a restarted Redis is repaired by the next check.
 * In the embedded mode (memory store) the single instance listens to Postgres itself.
 */
export class ConfigSync {
  private timers: NodeJS.Timeout[] = [];
  private leading = false;
  private unlisten: (() => Promise<void>) | undefined;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly store: SharedStore,
    private readonly config: ConfigStore,
    private readonly auth: Authenticator,
    private readonly log: Logger,
    private readonly opts: ConfigSyncOptions,
  ) {}

  async start(): Promise<void> {
    await this.store.subscribe(EVENTS, (msg) => this.safely(() => this.onEvent(msg)));
    await this.lead();
    if (!this.leading) await this.check();
    this.every(Math.max(500, Math.floor(this.opts.leaseMs / 3)), () => this.lead());
    this.every(this.opts.checkIntervalMs, () => this.check());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.unlisten?.().catch(() => undefined);
  }

  /** Runs a step from a callback: a failure is logged (the next check repairs it), never thrown. */
  private safely(fn: () => Promise<void>): void {
    fn().catch((err) => this.log.warn({ err: (err as Error).message }, 'config sync step failed'));
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const t = setInterval(() => this.safely(fn), ms);
    t.unref();
    this.timers.push(t);
  }

  /** Takes or keeps the leader lease; the leader alone listens to Postgres. */
  private async lead(): Promise<void> {
    if (this.stopped) return;
    let leader = false;
    try {
      leader = await this.store.lease(LEADER, this.opts.instanceId, this.opts.leaseMs);
    } catch {
      leader = false; // Redis unreachable: nobody can fan out; the version checks catch up later.
    }
    if (leader && !this.leading) {
      this.leading = true;
      // A re-established LISTEN may have missed notifications: check at once.
      this.unlisten = await this.db.listen('tollgate_config', (payload) => this.safely(() => this.onNotify(payload)), () => this.safely(() => this.check()));
      this.log.info({ instanceId: this.opts.instanceId }, 'config sync: this instance listens for changes');
      await this.check();
    } else if (!leader && this.leading) {
      this.leading = false;
      await this.unlisten?.();
      this.unlisten = undefined;
    }
  }

  /** Leader: a change committed in Postgres. */
  private async onNotify(payload: string): Promise<void> {
    const n = JSON.parse(payload) as ChangeEvent;
    if (n.kind === 'catalogue') await this.publishCatalogue();
    else await this.publishKeys(n);
  }

  private async publishCatalogue(): Promise<void> {
    const snap = await readCatalogue(this.db);
    this.config.apply(snap);
    if (this.store.kind === 'memory') return;
    await this.store.set(SNAPSHOT, JSON.stringify(snap));
    await this.store.set(CATALOGUE_VERSION, String(snap.version));
    await this.store.publish(EVENTS, JSON.stringify({ kind: 'catalogue', version: snap.version }));
  }

  private async publishKeys(e: Exclude<ChangeEvent, { kind: 'catalogue' }>): Promise<void> {
    this.onKeyEvent(e);
    if (this.store.kind === 'memory') return;
    await this.store.set(KEYS_VERSION, String(e.version));
    await this.store.publish(EVENTS, JSON.stringify(e));
  }

  /** Every instance: an event fanned out by the leader. */
  private async onEvent(message: string): Promise<void> {
    const e = JSON.parse(message) as ChangeEvent;
    if (e.kind === 'catalogue') {
      if (e.version > this.config.version) await this.applySharedSnapshot(e.version);
    } else this.onKeyEvent(e);
  }

  private onKeyEvent(e: Exclude<ChangeEvent, { kind: 'catalogue' }>): void {
    if (e.kind === 'key') this.auth.evictHash(e.hash);
    else if (e.kind === 'user') this.auth.evictUser(e.user);
    else this.auth.invalidateAll();
    this.auth.keysVersion = Math.max(this.auth.keysVersion, e.version);
  }

  /** The shared snapshot when it is at least `version`, else Postgres. */
  private async applySharedSnapshot(version: number): Promise<void> {
    const text = await this.store.get(SNAPSHOT).catch(() => null);
    const snap = text ? (JSON.parse(text) as VersionedRows) : undefined;
    if (snap && snap.version >= version) this.config.apply(snap);
    else await this.config.reload();
  }

  /**
   * The periodic repair. Every instance: adopt newer versions found in the shared store. The
   * leader: bring the shared store up to Postgres (a NOTIFY lost while nobody listened, or a
   * Redis that restarted empty).
   */
  private async check(): Promise<void> {
    if (this.stopped) return;
    if (this.store.kind === 'redis') {
      const [cat, keys] = await Promise.all([this.store.get(CATALOGUE_VERSION), this.store.get(KEYS_VERSION)]);
      if (cat !== null && Number(cat) > this.config.version) await this.applySharedSnapshot(Number(cat));
      if (keys !== null && Number(keys) > this.auth.keysVersion) {
        this.auth.keysVersion = Number(keys);
        this.auth.invalidateAll();
      }
      if (!this.leading) return;
    }
    const { rows } = await this.db.query<{ name: string; version: string }>('SELECT name, version FROM config_versions');
    const pg = Object.fromEntries(rows.map((r) => [r.name, Number(r.version)]));
    const sharedCat = this.store.kind === 'redis' ? Number((await this.store.get(CATALOGUE_VERSION)) ?? -1) : this.config.version;
    if ((pg.catalogue ?? 0) > sharedCat || (pg.catalogue ?? 0) > this.config.version) await this.publishCatalogue();
    const sharedKeys = this.store.kind === 'redis' ? Number((await this.store.get(KEYS_VERSION)) ?? -1) : this.auth.keysVersion;
    if ((pg.keys ?? 0) > sharedKeys || (pg.keys ?? 0) > this.auth.keysVersion) {
      await this.publishKeys({ kind: 'keys', version: pg.keys ?? 0 });
    }
  }
}
