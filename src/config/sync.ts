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
type KeyEvent = Exclude<ChangeEvent, { kind: 'catalogue' }>;

/**
 * How this instance hears of changes. `leader`: it holds the Redis lease, listens to Postgres and
 * fans out through Redis. `follower`: another instance leads; it hears the fan-out. `alone`:
 * Redis is unreachable, so it listens to Postgres itself and tells nobody.
 */
type Role = 'leader' | 'follower' | 'alone';

const EVENTS = 'config-events';
const SNAPSHOT = 'config:snapshot';
const LEADER = 'config-leader';

export interface ConfigSyncOptions {
  instanceId: string;
  /** How often every instance compares its versions with Postgres (repairs a missed message). */
  checkIntervalMs: number;
  /** Lease of the instance that listens to Postgres and fans changes out. */
  leaseMs: number;
}

/**
 * Real-time config invalidation (docs/ARCHITECTURE.md). A committed change → Postgres trigger → NOTIFY →
 * the leader instance (one, by a Redis lease) → snapshot written to Redis → pub/sub event →
 * every instance swaps its snapshot or evicts the changed keys. While an instance cannot reach
 * Redis it listens to Postgres itself, so changes keep arriving at once during an outage. Every
 * instance also compares its versions with Postgres every `checkIntervalMs`, so a missed NOTIFY,
 * a dropped LISTEN connection, a lost pub/sub message or a lease nobody renews is repaired by the
 * next check. In the embedded mode (memory store) the single instance is always the leader.
 */
export class ConfigSync {
  private timers: NodeJS.Timeout[] = [];
  private role: Role | undefined;
  private claiming = false;
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
    await this.claimRole();
    if (this.role === 'follower') await this.check();
    this.every(Math.max(500, Math.floor(this.opts.leaseMs / 3)), () => this.claimRole());
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

  /** Takes or keeps the leader lease; listens to Postgres when leading or when Redis is away. */
  private async claimRole(): Promise<void> {
    if (this.stopped || this.claiming) return;
    this.claiming = true;
    try {
      const role = await this.currentRole();
      const was = this.role;
      if (role === was) return;
      this.role = role;
      if (role === 'alone') this.log.warn({ instanceId: this.opts.instanceId }, 'config sync: Redis unreachable: this instance listens to Postgres itself');
      else if (was === 'alone') this.log.info({ instanceId: this.opts.instanceId, role }, 'config sync: Redis reachable again');
      if (role === 'leader') this.log.info({ instanceId: this.opts.instanceId }, 'config sync: this instance listens for changes');
      if (role !== 'follower' && !this.unlisten) {
        // A re-established LISTEN may have missed notifications: check at once.
        this.unlisten = await this.db.listen('tollgate_config', (payload) => this.safely(() => this.onNotify(payload)), () => this.safely(() => this.check()));
      } else if (role === 'follower' && this.unlisten) {
        await this.unlisten();
        this.unlisten = undefined;
      }
      // What happened while nobody told this instance (or Redis lacks: it may have restarted empty).
      if (role === 'leader') await this.publishCatalogue();
      if (role !== 'follower') await this.check();
    } finally {
      this.claiming = false;
    }
  }

  private async currentRole(): Promise<Role> {
    if (this.store.kind === 'memory') return 'leader';
    try {
      return (await this.store.lease(LEADER, this.opts.instanceId, this.opts.leaseMs)) ? 'leader' : 'follower';
    } catch {
      return 'alone';
    }
  }

  /** Leader or alone: a change committed in Postgres. */
  private async onNotify(payload: string): Promise<void> {
    const n = JSON.parse(payload) as ChangeEvent;
    if (n.kind === 'catalogue') await this.publishCatalogue();
    else await this.publishKeys(n);
  }

  /** Applies the catalogue from Postgres here; the leader also hands it to the other instances. */
  private async publishCatalogue(): Promise<void> {
    const snap = await readCatalogue(this.db);
    this.config.apply(snap);
    if (!this.fansOut) return;
    await this.store.set(SNAPSHOT, JSON.stringify(snap));
    await this.store.publish(EVENTS, JSON.stringify({ kind: 'catalogue', version: snap.version }));
  }

  private async publishKeys(e: KeyEvent): Promise<void> {
    this.onKeyEvent(e);
    if (this.fansOut) await this.store.publish(EVENTS, JSON.stringify(e));
  }

  private get fansOut(): boolean {
    return this.role === 'leader' && this.store.kind === 'redis';
  }

  /** Every instance: an event fanned out by the leader (the store drops any it did not seal). */
  private async onEvent(message: string): Promise<void> {
    const e = JSON.parse(message) as ChangeEvent;
    if (e.kind === 'catalogue') {
      if (e.version > this.config.version) await this.adoptCatalogue(e.version);
    } else this.onKeyEvent(e);
  }

  /**
   * Every key or user change takes the next keys version (migration 0004), so a version that skips
   * one means a message was missed: then only forgetting every verdict is safe. A repair ('keys')
   * forgets everything only when it is news.
   */
  private onKeyEvent(e: KeyEvent): void {
    const known = this.auth.keysVersion;
    if (e.kind === 'keys' ? e.version > known : e.version > known + 1) this.auth.invalidateAll();
    else if (e.kind === 'key') this.auth.evictHash(e.hash);
    else if (e.kind === 'user') this.auth.evictUser(e.user);
    this.auth.keysVersion = Math.max(known, e.version);
  }

  /** The shared snapshot when it is at least `version` (and sealed by this deployment), else Postgres. */
  private async adoptCatalogue(version: number): Promise<void> {
    const text = this.store.kind === 'redis' ? await this.store.get(SNAPSHOT).catch(() => null) : null;
    const snap = text ? (JSON.parse(text) as VersionedRows) : undefined;
    if (snap && snap.version >= version) this.config.apply(snap);
    else await this.config.reload();
  }

  /**
   * The periodic repair, on every instance and straight from Postgres (so it works whatever
   * state Redis is in): a newer catalogue is adopted, a newer keys version forgets every cached
   * verdict. The leader also hands what it finds to the others.
   */
  private async check(): Promise<void> {
    if (this.stopped) return;
    const { rows } = await this.db.query<{ name: string; version: string }>('SELECT name, version FROM config_versions');
    const pg = Object.fromEntries(rows.map((r) => [r.name, Number(r.version)]));
    const catalogue = pg.catalogue ?? 0;
    const keys = pg.keys ?? 0;
    if (catalogue > this.config.version) await (this.role === 'leader' ? this.publishCatalogue() : this.adoptCatalogue(catalogue));
    if (keys > this.auth.keysVersion) await this.publishKeys({ kind: 'keys', version: keys });
  }
}
