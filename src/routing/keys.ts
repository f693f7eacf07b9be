import type { ProviderConfig, ProviderKeyConfig } from '../config/catalogue.js';
import { ServiceUnavailableError } from '../errors.js';

/**
 * Chooses a provider key: among enabled keys not excluded (tried already, at quota) and not
 * behind an open breaker, the one with the fewest requests in flight for its weight — so load
 * follows weights and a slow or failing key sheds traffic to the others.
 */
export class KeyPicker {
  private readonly inflight = new Map<string, number>();
  private turn = 0;

  /** The best key, or undefined when every usable key is excluded or open. Throws when none is configured. */
  pick(provider: ProviderConfig, exclude?: ReadonlySet<string>, isOpen?: (key: ProviderKeyConfig) => boolean): ProviderKeyConfig | undefined {
    const keys = provider.keys;
    if (!keys.some((k) => k.enabled)) {
      throw new ServiceUnavailableError(`No usable API key is configured for provider '${provider.id}'.`, 'no_provider_key');
    }
    let best: ProviderKeyConfig | undefined;
    let bestLoad = Infinity;
    // Start from a rotating offset so ties spread across keys instead of always hitting the first.
    const start = this.turn++ % keys.length;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[(start + i) % keys.length]!;
      if (!k.enabled || exclude?.has(k.id) || isOpen?.(k)) continue;
      const load = (this.inflight.get(k.id) ?? 0) / k.weight;
      if (load < bestLoad) {
        best = k;
        bestLoad = load;
      }
    }
    return best;
  }

  acquire(key: ProviderKeyConfig): void {
    this.inflight.set(key.id, (this.inflight.get(key.id) ?? 0) + 1);
  }

  release(key: ProviderKeyConfig): void {
    const n = (this.inflight.get(key.id) ?? 1) - 1;
    if (n <= 0) this.inflight.delete(key.id);
    else this.inflight.set(key.id, n);
  }

  inFlight(keyId: string): number {
    return this.inflight.get(keyId) ?? 0;
  }
}
