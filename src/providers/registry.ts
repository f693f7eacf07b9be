import type { ProviderKind } from '../config/catalogue.js';
import { anthropic } from './anthropic/index.js';
import { gemini } from './gemini/index.js';
import { mistral } from './mistral/index.js';
import { openai } from './openai/index.js';
import type { ProviderAdapter } from './types.js';

/** One line per provider. */
export const PROVIDERS: Readonly<Record<ProviderKind, ProviderAdapter>> = {
  openai,
  anthropic,
  gemini,
  mistral,
};

export function adapterFor(kind: ProviderKind): ProviderAdapter {
  return PROVIDERS[kind];
}
