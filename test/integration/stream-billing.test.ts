import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../src/credits/estimate.js';
import type { MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import type { TestDatabase } from '../helpers/db.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { eventually } from '../helpers/invariants.js';
import { injectFault } from '../helpers/mock-control.js';

let db: TestDatabase;
let mock: MockUpstream;
let gw: TestGateway;
useGatewayHarness({}, (h) => ({ db, mock, gw } = h));

/** Streams `content` from `model` until the provider cuts it; the gateway's request id. */
async function cutStream(model: string, content: string): Promise<string> {
  const u = await createUserWithKey(gw, { credits: '1' });
  const client = new OpenAI({ apiKey: u.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const { data: stream, response } = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content }] }).withResponse();
  await expect(
    (async () => {
      for await (const _ of stream);
    })(),
  ).rejects.toBeInstanceOf(OpenAI.APIError);
  return response.headers.get('x-request-id')!;
}

const row = (id: string) =>
  eventually(async () => (await db.query<Record<string, any>>('SELECT prompt_tokens, cached_tokens, completion_tokens, usage_estimated, error_code FROM requests WHERE id = $1', [id]))[0], 10_000, `request row ${id}`);

describe('a cut stream is billed with the provider’s own prompt figures', () => {
  // The simulator counts a prompt's tokens as its words, which the gateway's estimator never does:
  // the prompt below is 8 words (each [[…]] one), 2 of them reported as cached.
  const prompt = 'cut me please after some words [[reply:20]] [[cached:2]]';

  it('Anthropic: the prompt count from message_start, not the estimate', async () => {
    await injectFault(mock, { provider: 'anthropic', match: 'cut me please', fault: { type: 'cut_stream', afterEvents: 5 } });
    const r = await row(await cutStream(CHAT_MODELS.anthropic, prompt));
    expect(r).toMatchObject({ error_code: 'upstream_stream_cut', usage_estimated: true, prompt_tokens: 8, cached_tokens: 2 });
    expect(r.completion_tokens).toBeGreaterThan(0);
  });

  it('Gemini: the promptTokenCount of the events that arrived, not the estimate', async () => {
    await injectFault(mock, { provider: 'gemini', match: 'cut me please', fault: { type: 'cut_stream', afterEvents: 3 } });
    const r = await row(await cutStream(CHAT_MODELS.gemini, prompt));
    expect(r).toMatchObject({ error_code: 'upstream_stream_cut', usage_estimated: true, prompt_tokens: 8, cached_tokens: 2 });
    expect(r.prompt_tokens).not.toBe((await countTokens(prompt)) + 4);
  });
});
