import type { ProviderConfig } from '../../config/catalogue.js';
import { adapterFor } from '../../providers/registry.js';
import type { ProviderTestResult } from '../../sdk/admin-api/index.js';
import type { Transport } from '../../upstream/transport.js';
import { Cancel } from '../../util/cancel.js';

function timeoutController(ms: number): Cancel {
  const c = new Cancel();
  setTimeout(() => c.abort(), ms).unref();
  return c;
}

/** One cheap authenticated call per key of the provider (as this instance has it), reported per key. */
export async function testProviderConnection(transport: Transport, provider: ProviderConfig): Promise<ProviderTestResult> {
  const adapter = adapterFor(provider.kind);
  const keys = await Promise.all(
    provider.keys.map(async (key) => {
      const t0 = performance.now();
      try {
        const up = await transport.send(provider, adapter.connectionCheck({ provider, key }), timeoutController(15_000));
        const text = await up.text();
        const ok = up.status < 400;
        return {
          keyId: key.id,
          last4: key.last4,
          ok,
          status: up.status,
          latencyMs: Math.round(performance.now() - t0),
          error: ok ? null : adapter.parseError(up.status, text, up.headers).message,
        };
      } catch (err) {
        return { keyId: key.id, last4: key.last4, ok: false, status: 0, latencyMs: Math.round(performance.now() - t0), error: (err as Error).message };
      }
    }),
  );
  return { provider: provider.id, ok: keys.length > 0 && keys.every((k) => k.ok), keys };
}
