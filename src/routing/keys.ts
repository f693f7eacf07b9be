import type { ProviderConfig, ProviderKeyConfig } from '../config/catalogue.js';
import { ServiceUnavailableError } from '../http/errors.js';

/**
 * Picks a provider key: smooth weighted round-robin over enabled keys (each key's share follows
 * its weight, interleaved rather than in bursts).
 */
export class KeyPicker {
  private readonly current = new Map<string, number>();

  pick(provider: ProviderConfig, exclude?: ReadonlySet<string>): ProviderKeyConfig {
    let total = 0;
    let best: ProviderKeyConfig | undefined;
    let bestScore = -Infinity;
    for (const key of provider.keys) {
      if (!key.enabled || exclude?.has(key.id)) continue;
      total += key.weight;
      const score = (this.current.get(key.id) ?? 0) + key.weight;
      this.current.set(key.id, score);
      if (score > bestScore) {
        bestScore = score;
        best = key;
      }
    }
    if (!best) {
      throw new ServiceUnavailableError(`No usable API key is configured for provider '${provider.id}'.`, 'no_provider_key');
    }
    this.current.set(best.id, bestScore - total);
    return best;
  }
}
