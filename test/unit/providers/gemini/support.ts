import { readFileSync } from 'node:fs';
import type { ChatRequest } from '../../../../src/canonical/index.js';
import type { UpstreamTarget } from '../../../../src/providers/types.js';

export function fixture(name: string): string {
  return readFileSync(new URL(`../../../fixtures/gemini/${name}`, import.meta.url), 'utf8');
}

export const target: UpstreamTarget = {
  provider: {
    id: 'gemini', kind: 'gemini', name: 'Gemini', baseUrl: 'https://generativelanguage.googleapis.com/v1beta', enabled: true,
    connectTimeoutMs: 1000, firstByteTimeoutMs: 1000, totalTimeoutMs: 1000, keys: [],
  },
  key: { id: 'k1', providerId: 'gemini', label: 'primary', secret: 'AIza-test-key', last4: '-key', weight: 1, enabled: true, rpmLimit: null, tpmLimit: null },
  model: {
    alias: 'gemini-flash', providerId: 'gemini', upstreamModel: 'gemini-2.5-flash', kind: 'chat', contextWindow: 1_000_000, maxOutputTokens: 65_536,
    supportsVision: true, supportsTools: true, supportsJson: true, enabled: true, fallbacks: [], cacheTtlSeconds: null, prices: [],
  },
};

export function chat(over: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'gemini-flash', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }], stream: false, includeUsage: false, params: {}, ...over };
}
