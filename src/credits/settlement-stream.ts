import type { Logger } from '../observability/logger.js';
import { isDataError } from '../store/db-errors.js';
import { duplicateRedis, type RedisClient } from '../store/redis.js';
import type { Signer } from '../store/signer.js';
import { RedisScript } from '../store/redis-script.js';
import { Batcher } from '../util/batcher.js';
import { decodeSettlement, encodeSettlement } from './settlement-codec.js';
import type { LeasedSettlement, SettlementWriter } from './settlements.js';

/**
 * The durable settlement stream (Redis Streams). A request's settlement is appended before its
 * response completes; settlers on every instance (one consumer group, one consumer per instance)
 * write what they read to Postgres in batches (settle_leased applies each request once), then
 * acknowledge and delete it. Entries a dead instance had read are claimed by the others once
 * idle for claimIdleMs. A count per serving instance of its entries not yet written tells the
 * sweeper whose leases must wait (a lease is released only after its settlements are written).
 * Entries are sealed with a key Redis never sees; a forged one is dropped.
 *
 * An entry carries the settlements of the requests that finished on one instance in the same
 * event-loop turn (one line each, in the codec's form), sealed once: one command, one seal and one
 * entry to read and acknowledge per batch instead of per request. It is acknowledged once every
 * settlement in it is written (each applies once, so an entry written twice costs nothing).
 */

const GROUP = 'settlers';

// KEYS: stream, counts. ARGV: instance, the first request's id (names the seal), the sealed settlements.
const APPEND = new RedisScript(`redis.call('XADD', KEYS[1], '*', 'i', ARGV[1], 'r', ARGV[2], 'd', ARGV[3])
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
return 1`);

/**
 * Settlements of requests finishing in the same event-loop turn go to Redis as one entry:
 * measured, one command per request costs the gateway ~20 µs of CPU and one per batch of 32
 * ~6 µs a request, and a batch waits only for the end of the turn.
 */
const APPEND_BATCH = { maxBatch: 128, maxInFlight: 4 };

/** Lines of an entry: the codec's JSON never contains a raw newline. */
const LINE = '\n';

// KEYS: stream, counts. ARGV: group, then (entry id, instance) pairs. An entry's count goes down
// once, however many settlers wrote and acknowledged it.
const ACK = new RedisScript(`local n = 0
for i = 2, #ARGV, 2 do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    if redis.call('HINCRBY', KEYS[2], ARGV[i + 1], -1) <= 0 then redis.call('HDEL', KEYS[2], ARGV[i + 1]) end
    n = n + 1
  end
  redis.call('XDEL', KEYS[1], ARGV[i])
end
return n`);

type Entry = [id: string, fields: string[]];

export interface SettlementStreamOptions {
  instanceId: string;
  prefix: string;
  /** A read entry not acknowledged for this long (its settler died or failed) is claimed by another. */
  claimIdleMs: number;
  /**
   * After a batch that did not fill a read (`batch` entries), how long to let more settlements
   * gather before reading again: one Postgres transaction costs about as much for one settlement
   * as for dozens, so at moderate rates this cuts Postgres work per request several-fold. Entries
   * are durable in Redis meanwhile; an exact read (written()) cuts every settler's wait short.
   */
  lingerMs?: number;
  batch?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SettlementStream {
  private readonly key: string;
  private readonly counts: string;
  /** Exact reads add to this stream to wake settlers out of their linger (its entries carry nothing). */
  private readonly wake: string;
  /** The last wake-up this settler saw. */
  private wakeSeen = '0-0';
  private readonly reader: RedisClient;
  private running = false;
  private stopping: () => void = () => undefined;
  /** Resolves when stop() is called (a lingering settler stops at once). */
  private readonly stopped = new Promise<void>((resolve) => {
    this.stopping = resolve;
  });
  private loop: Promise<void> | undefined;
  private readonly appender: Batcher<[requestId: string, encoded: string], void>;
  /** Whether the shared connection has been up since this instance started. */
  private everUp: boolean;

  constructor(
    private readonly redis: RedisClient,
    private readonly signer: Signer,
    private readonly writer: SettlementWriter,
    private readonly log: Logger,
    private readonly opts: SettlementStreamOptions,
  ) {
    // One hash tag: the stream and its counts live in one Redis Cluster slot (one script touches both).
    this.key = `${opts.prefix}{credits}:settlements`;
    this.counts = `${opts.prefix}{credits}:unwritten`;
    this.wake = `${opts.prefix}{credits}:flush`;
    // Blocking reads get their own connection: the shared one fails any command after 1 s.
    this.reader = duplicateRedis(redis, { commandTimeout: 10_000 });
    this.reader.on('error', () => undefined);
    this.appender = new Batcher((batch) => this.appendAll(batch), APPEND_BATCH);
    this.everUp = redis.status === 'ready';
    if (!this.everUp) redis.once('ready', () => (this.everUp = true));
  }

  /**
   * Redis has not come up since this instance started: the instance has said so once (server.ts),
   * so neither a settler that cannot read nor a settlement written to Postgres instead is news;
   * an outage after Redis was up is.
   */
  get startingUp(): boolean {
    return !this.everUp;
  }

  /** Appends a settlement; rejects when Redis cannot take it now (the caller writes it to Postgres itself). */
  async append(s: LeasedSettlement): Promise<void> {
    await this.appender.submit([s.requestId, encodeSettlement(s)]);
  }

  private async appendAll(batch: [string, string][]): Promise<void[]> {
    const first = batch[0]![0];
    const lines = batch.length === 1 ? batch[0]![1] : batch.map((b) => b[1]).join(LINE);
    await APPEND.run(this.redis, [this.key, this.counts], [this.opts.instanceId, first, this.signer.seal(`settlement:${first}`, lines)]);
    return new Array<void>(batch.length);
  }

  start(): void {
    this.running = true;
    this.loop = this.ensureGroup()
      .then(async () => {
        this.wakeSeen = (await this.reader.xrevrange(this.wake, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
      })
      .catch(() => undefined)
      .then(() => this.run());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping();
    await this.loop;
    this.reader.disconnect();
  }

  /** Instances with settlements not yet written to Postgres (their leases must not be released yet). */
  async unwritten(): Promise<string[]> {
    const all = await this.redis.hgetall(this.counts);
    return Object.entries(all).filter(([, n]) => Number(n) > 0).map(([i]) => i);
  }

  /**
   * Resolves once every settlement appended before the call is written to Postgres, or after
   * waitMs, or at once when Redis cannot tell (reads that must be exact: balances, replays).
   */
  async written(waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    try {
      const last = (await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1))[0];
      if (!last) return;
      await this.redis.xadd(this.wake, 'MAXLEN', '~', '100', '*', 'w', '1');
      while ((await this.redis.xrange(this.key, '-', last[0], 'COUNT', 1)).length > 0 && Date.now() < deadline) await sleep(5);
    } catch {
      // Redis is down: what it holds cannot be written now anyway.
    }
  }

  private async run(): Promise<void> {
    let lastClaim = 0;
    let lastWarning = 0;
    let failingSince = 0;
    while (this.running) {
      try {
        if (Date.now() - lastClaim >= this.opts.claimIdleMs / 2) {
          lastClaim = Date.now();
          await this.claim();
        }
        const res = (await this.reader.xreadgroup('GROUP', GROUP, this.opts.instanceId, 'COUNT', this.opts.batch ?? 200, 'BLOCK', 250, 'STREAMS', this.key, '>')) as [string, Entry[]][] | null;
        failingSince = 0;
        const entries = res?.[0]?.[1];
        if (entries) {
          await this.apply(entries);
          // A full read means a backlog: read on at once. Otherwise let the next batch gather.
          const linger = this.opts.lingerMs ?? 0;
          if (linger > 0 && entries.length < (this.opts.batch ?? 200) && this.running) await this.linger(linger);
        }
      } catch (err) {
        const message = (err as Error).message ?? '';
        if (message.startsWith('NOGROUP')) await this.ensureGroup().catch(() => undefined);
        else {
          // A blip (a cluster failing over) is not worth a warning; an outage is, once Redis has
          // been up since start (startingUp).
          const now = Date.now();
          failingSince ||= now;
          if (!this.startingUp && now - failingSince >= 2_000 && now - lastWarning > 10_000) {
            lastWarning = now;
            this.log.warn({ err: message }, 'settlement stream unavailable; retrying');
          }
          await sleep(250);
        }
      }
    }
  }

  /**
   * Waits `ms`, or less when an exact read asks for what is on its way (written()) or the stream
   * stops. A failed wait ends it early: the next read meets the failure and handles it.
   */
  private async linger(ms: number): Promise<void> {
    const woken = this.reader.xread('COUNT', 100, 'BLOCK', ms, 'STREAMS', this.wake, this.wakeSeen).then(
      (res) => {
        const seen = (res as [string, Entry[]][] | null)?.[0]?.[1].at(-1)?.[0];
        if (seen) this.wakeSeen = seen;
      },
      () => undefined,
    );
    await Promise.race([woken, this.stopped]);
  }

  /** Starts from the stream's beginning: a group lost with Redis' data must still see entries appended since. */
  private async ensureGroup(): Promise<void> {
    try {
      await this.reader.xgroup('CREATE', this.key, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err as Error).message?.startsWith('BUSYGROUP')) throw err;
    }
  }

  /** Takes over entries read but not acknowledged for claimIdleMs (a dead or failing settler's). */
  private async claim(): Promise<void> {
    let cursor = '0-0';
    for (let round = 0; round < 10; round++) {
      const [next, entries] = (await this.reader.xautoclaim(this.key, GROUP, this.opts.instanceId, this.opts.claimIdleMs, cursor, 'COUNT', this.opts.batch ?? 200)) as [string, Entry[]];
      const live = entries.filter((e) => e && e[1]);
      if (live.length) {
        this.log.info({ claimed: live.length }, 'claimed unwritten settlements');
        await this.apply(live);
      }
      if (next === '0-0') return;
      cursor = next;
    }
  }

  /** Writes a batch (one transaction when healthy; a bad entry is isolated), then acknowledges what is done. */
  private async apply(entries: Entry[]): Promise<void> {
    const done: string[] = [];
    const writes: Promise<void>[] = [];
    for (const [id, fields] of entries) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      const instance = f.i ?? '';
      const opened = this.signer.open(`settlement:${f.r ?? ''}`, f.d ?? '');
      if (!opened.ok) {
        this.log.error({ entry: id }, 'settlement entry failed its seal (written by someone without the key); dropped');
        done.push(id, instance);
        continue;
      }
      let settlements: LeasedSettlement[];
      try {
        settlements = opened.value.split(LINE).map(decodeSettlement);
      } catch (err) {
        // Sealed by us, so written by another version of the gateway: left pending for an instance that reads it.
        this.log.error({ entry: id, err: (err as Error).message }, 'settlement entry in an unknown format; left for another instance');
        continue;
      }
      // Acknowledged once all of its settlements are written (or dropped as unwritable).
      let unavailable = false;
      const written = settlements.map((s) =>
        this.writer.record(s, 0).catch((err) => {
          if (!isDataError(err)) unavailable = true; // Postgres is unavailable: left pending, claimed again later.
          else this.log.error({ err: (err as Error).message, reqId: s.requestId }, 'settlement cannot be written; dropped');
        }),
      );
      writes.push(Promise.all(written).then(() => void (unavailable || done.push(id, instance))));
    }
    await Promise.all(writes);
    if (done.length) await ACK.run(this.reader, [this.key, this.counts], [GROUP, ...done]);
  }
}
