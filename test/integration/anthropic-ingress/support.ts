import Anthropic from '@anthropic-ai/sdk';
import type { MockUpstream, RecordedRequest } from '../../mock-upstream/server.js';

export type ProviderKind = 'openai' | 'anthropic' | 'gemini' | 'mistral';

/** The official Anthropic SDK pointed at the gateway with a Tollgate key (it adds /v1/messages itself), no retries. */
export function anthropicClient(gatewayUrl: string, key: string): Anthropic {
  return new Anthropic({ apiKey: key, baseURL: gatewayUrl, maxRetries: 0 });
}

export const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

/** Requests the mock received from the gateway for one provider (connection checks left out). */
export function upstreamCalls(mock: MockUpstream, provider: ProviderKind): RecordedRequest[] {
  return mock.requests.filter((r) => r.provider === provider && r.method === 'POST');
}

/** A one-pixel PNG, base64. */
export const PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** The SSE events of a raw response body, in order: [type, data]. */
export function sseEvents(text: string): [string, Record<string, unknown>][] {
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
      return [event, JSON.parse(data) as Record<string, unknown>];
    });
}
