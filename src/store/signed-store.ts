import type { SharedStore } from './shared.js';
import type { Signer } from './signer.js';

/** Told about a value or message that failed verification: what it was, and its name (unprefixed). */
export type OnForgery = (what: 'value' | 'message', name: string) => void;

/**
 * Warns once per kind of name ("key" for every `key:<version>:<id>` verdict, "config:snapshot",
 * "config-events"): one line says Redis holds something this deployment did not write, without a
 * line per request while it stays there.
 */
export function warnOncePerKind(warn: (fields: Record<string, string>, message: string) => void): OnForgery {
  const warned = new Set<string>();
  return (what, name) => {
    const kind = name.replace(/:\d.*$/, '');
    if (warned.has(kind)) return;
    warned.add(kind);
    warn({ what, name, kind }, 'redis data failed verification (not written by this deployment); ignored, reading Postgres instead. Logged once per kind.');
  };
}

/**
 * A shared store whose values and messages are sealed by this deployment's signer: what anyone
 * else wrote is not believed. A value that fails verification reads as absent (callers fall
 * through to Postgres) and a message that fails is dropped; both are reported to `onForgery`.
 * Leases pass through: a lease only decides which instance fans changes out, never what they say.
 */
export class SignedStore implements SharedStore {
  constructor(
    private readonly inner: SharedStore,
    private readonly signer: Signer,
    private readonly onForgery: OnForgery,
  ) {}

  get kind() {
    return this.inner.kind;
  }

  get redis() {
    return this.inner.redis;
  }

  get prefix() {
    return this.inner.prefix;
  }

  async get(key: string): Promise<string | null> {
    const sealed = await this.inner.get(key);
    if (sealed === null) return null;
    const opened = this.signer.open(this.prefix + key, sealed);
    if (opened.ok) return opened.value;
    if (opened.reason === 'forged') this.onForgery('value', key);
    return null;
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    const expiresAt = ttlSeconds ? Date.now() + ttlSeconds * 1000 : undefined;
    await this.inner.set(key, this.signer.seal(this.prefix + key, value, expiresAt), ttlSeconds);
  }

  async del(key: string): Promise<void> {
    await this.inner.del(key);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.inner.publish(channel, this.signer.seal(this.prefix + channel, message));
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<void> {
    const name = this.prefix + channel;
    await this.inner.subscribe(channel, (sealed) => {
      const opened = this.signer.open(name, sealed);
      if (opened.ok) onMessage(opened.value);
      else this.onForgery('message', channel);
    });
  }

  async lease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.inner.lease(key, owner, ttlMs);
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}
