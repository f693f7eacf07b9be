import type { MockUpstream } from '../mock-upstream/server.js';
import type { TestGateway } from './gateway.js';

/**
 * A catalogue pointing every provider at the mock upstream, created through the admin API:
 *   gpt-4o-mini (openai) · claude-sonnet (anthropic) · gemini-flash (gemini) · mistral-small (mistral)
 *   text-embedding-3-small (openai) · gemini-embedding (gemini) · mistral-embed (mistral)
 * Prices (credits per 1M tokens): input 1, output 2, cached input 0.5, cache write 1.25.
 */
export const CHAT_MODELS = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-sonnet',
  gemini: 'gemini-flash',
  mistral: 'mistral-small',
} as const;

export const EMBEDDING_MODELS = { openai: 'text-embedding-3-small', gemini: 'gemini-embedding', mistral: 'mistral-embed' } as const;

const UPSTREAM_IDS = {
  openai: 'gpt-4o-mini-2024-07-18',
  anthropic: 'claude-sonnet-4-5',
  gemini: 'gemini-2.5-flash',
  mistral: 'mistral-small-latest',
} as const;

export const TEST_PRICE = { inputPerMtok: '1', outputPerMtok: '2', cachedInputPerMtok: '0.5', cacheWritePerMtok: '1.25' };

export async function seedMockCatalogue(gw: TestGateway, mock: MockUpstream, opts: { providerTimeouts?: Record<string, number> } = {}): Promise<void> {
  for (const kind of ['openai', 'anthropic', 'gemini', 'mistral'] as const) {
    await gw.admin('POST', '/providers', {
      id: kind,
      kind,
      baseUrl: mock.baseUrl(kind),
      keys: [{ secret: `mock-${kind}-key-0001`, label: 'primary' }],
      ...opts.providerTimeouts,
    });
    await gw.admin('POST', '/models', {
      alias: CHAT_MODELS[kind],
      providerId: kind,
      upstreamModel: UPSTREAM_IDS[kind],
      contextWindow: 128_000,
      maxOutputTokens: 8_192,
      supportsVision: true,
      supportsTools: true,
      supportsJson: true,
      price: TEST_PRICE,
    });
  }
  const embeddingUpstream = { openai: 'text-embedding-3-small', gemini: 'gemini-embedding-001', mistral: 'mistral-embed' } as const;
  for (const kind of ['openai', 'gemini', 'mistral'] as const) {
    await gw.admin('POST', '/models', {
      alias: EMBEDDING_MODELS[kind],
      providerId: kind,
      upstreamModel: embeddingUpstream[kind],
      kind: 'embedding',
      contextWindow: 8_192,
      maxOutputTokens: 1,
      price: { inputPerMtok: '0.02', outputPerMtok: '0' },
    });
  }
}

/** A user with an account holding `credits`, and one API key; returns the key's secret. */
export async function createUserWithKey(gw: TestGateway, opts: { email?: string; credits?: string; planId?: string } = {}) {
  const user = await gw.admin('POST', '/users', {
    email: opts.email ?? `user-${Math.random().toString(36).slice(2)}@example.test`,
    initialCredits: opts.credits ?? '100',
    ...(opts.planId ? { planId: opts.planId } : {}),
  });
  const key = await gw.admin('POST', `/users/${user.id}/keys`, { name: 'test' });
  return { user, key: key.key as string, keyId: key.id as string, accountId: user.accountId as string };
}

export interface DeploymentOptions {
  keys?: string[];
  /** Each key's own requests-per-minute quota. */
  rpmLimit?: number;
  fallbacks?: string[];
  firstByteTimeoutMs?: number;
  totalTimeoutMs?: number;
  kind?: 'openai' | 'anthropic';
  price?: string;
}

/** A provider of its own (so its breaker and quotas are its own) and a model `<id>-model` on it, with optional fallbacks. */
export async function addDeployment(gw: TestGateway, mock: MockUpstream, id: string, opts: DeploymentOptions = {}): Promise<string> {
  const kind = opts.kind ?? 'openai';
  await gw.admin('POST', '/providers', {
    id,
    kind,
    baseUrl: mock.baseUrl(kind),
    keys: (opts.keys ?? [`${id}-key`]).map((secret) => ({ secret, ...(opts.rpmLimit ? { rpmLimit: opts.rpmLimit } : {}) })),
    ...(opts.firstByteTimeoutMs ? { firstByteTimeoutMs: opts.firstByteTimeoutMs } : {}),
    ...(opts.totalTimeoutMs ? { totalTimeoutMs: opts.totalTimeoutMs } : {}),
  });
  await gw.admin('POST', '/models', {
    alias: `${id}-model`,
    providerId: id,
    upstreamModel: `${id}-upstream`,
    contextWindow: 10_000,
    maxOutputTokens: 1_000,
    supportsTools: true,
    fallbacks: opts.fallbacks ?? [],
    price: { inputPerMtok: opts.price ?? '1', outputPerMtok: opts.price ?? '1' },
  });
  return `${id}-model`;
}
