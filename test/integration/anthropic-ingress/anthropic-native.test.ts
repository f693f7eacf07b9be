import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { creditsToMicros, formatCredits, priceTokens } from '../../../src/credits/money.js';
import type { FaultRule } from '../../mock-upstream/faults.js';
import type { MockUpstream } from '../../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey, TEST_PRICE } from '../../helpers/catalogue.js';
import type { TestDatabase } from '../../helpers/db.js';
import type { TestGateway } from '../../helpers/gateway.js';
import { useGatewayHarness } from '../../helpers/harness.js';
import { waitFor } from '../../helpers/wait.js';
import { anthropicClient, sseEvents, upstreamCalls, weatherTool } from './support.js';

/**
 * Anthropic in, Anthropic out: the client's body, headers and the provider's events travel
 * unchanged; errors come back in Anthropic's shape and statuses; every request is billed once.
 */

let gw: TestGateway;
let mock: MockUpstream;
let db: TestDatabase;
let key: string;
useGatewayHarness({ env: { BREAKER_MIN_REQUESTS: '100000' } }, (h) => ({ gw, mock, db, key } = h));
afterEach(() => {
  mock.faults.clear();
  mock.requests.length = 0;
});

const model = CHAT_MODELS.anthropic;
const client = () => anthropicClient(gw.url, key);
const fault = (rule: FaultRule) => mock.faults.add({ provider: 'anthropic', ...rule });
const messagesSent = () => upstreamCalls(mock, 'anthropic').filter((r) => r.path === '/v1/messages');
const rates = {
  inputPerMtok: creditsToMicros(TEST_PRICE.inputPerMtok),
  outputPerMtok: creditsToMicros(TEST_PRICE.outputPerMtok),
  cachedInputPerMtok: creditsToMicros(TEST_PRICE.cachedInputPerMtok),
  cacheWritePerMtok: creditsToMicros(TEST_PRICE.cacheWritePerMtok),
};

async function requestRow(id: string) {
  return waitFor(async () => (await db.query<Record<string, any>>('SELECT * FROM requests WHERE id = $1', [id]))[0], { what: `the request row of ${id}` });
}

async function failure(call: Promise<unknown>): Promise<APIError> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(APIError);
  return err as APIError;
}

/** A raw POST /v1/messages, for what the SDK hides (ping events, gateway fields). */
async function post(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('Anthropic in → Anthropic out', () => {
  it('forwards the body as written (cache_control, metadata) with the client version and betas', async () => {
    await client().messages.create(
      {
        model,
        max_tokens: 100,
        metadata: { user_id: 'u-42' },
        system: [{ type: 'text', text: 'Long stable prefix.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }] }],
      },
      { headers: { 'anthropic-beta': 'context-1m-2025-08-07' } },
    );
    const [sent] = messagesSent();
    expect(sent!.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      metadata: { user_id: 'u-42' },
      system: [{ type: 'text', text: 'Long stable prefix.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }] }],
    });
    expect(sent!.headers['anthropic-beta']).toBe('context-1m-2025-08-07');
    expect(sent!.headers['anthropic-version']).toBe('2026-10-21');
    expect(sent!.headers['x-api-key']).toBe('mock-anthropic-key-0001');
  });

  it("carries thinking blocks and their signatures through a multi-turn tool use", async () => {
    const thinking = { type: 'enabled' as const, budget_tokens: 1024 };
    const first = await client().messages.create({ model, max_tokens: 4096, thinking, tools: [weatherTool], messages: [{ role: 'user', content: 'Weather in Oslo?' }] });
    expect(first.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    const signed = first.content[0] as Anthropic.ThinkingBlock;
    const use = first.content[1] as Anthropic.ToolUseBlock;
    const second = await client().messages.create({
      model,
      max_tokens: 4096,
      thinking,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '3C' }] },
      ],
    });
    expect(second.content.at(-1)).toMatchObject({ type: 'text', text: 'Tool result received: 3C' });
    const replayed = (messagesSent()[1]!.body as { messages: { content: unknown[] }[] }).messages[1]!.content[0];
    expect(replayed).toEqual({ type: 'thinking', thinking: signed.thinking, signature: signed.signature });
  });

  it('relays the provider event stream with ping, and adds the cost to message_delta', async () => {
    const res = await post({ model, max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'count [[reply:3]]' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = sseEvents(await res.text());
    expect(events.map(([t]) => t)).toEqual([
      'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_delta',
      'content_block_stop', 'message_delta', 'message_stop',
    ]);
    const [, delta] = events.at(-2)!;
    expect(delta).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 }, x_tollgate: { cost: expect.stringMatching(/^0\.0000\d\d$/), balance: expect.any(String) } });
  });

  it('prices cache writes and cache reads from cache_control, each at its own rate', async () => {
    const { data, response } = await client()
      .messages.create({
        model,
        max_tokens: 100,
        system: [{ type: 'text', text: 'one two three four five six [[cache_write:2]] [[cached:4]]', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Hello' }],
      })
      .withResponse();
    // 9 prompt words (8 of system, "Hello"): 4 read from the cache, 2 written to it, 3 plain.
    expect(data.usage).toMatchObject({ input_tokens: 3, cache_creation_input_tokens: 2, cache_read_input_tokens: 4, output_tokens: 4 });
    const cost = priceTokens({ input: 3, cachedInput: 4, cacheWrite: 2, output: 4 }, rates, 0);
    expect(cost).not.toBe(priceTokens({ input: 9, cachedInput: 0, cacheWrite: 0, output: 4 }, rates, 0));
    expect(response.headers.get('x-tollgate-cost')).toBe(formatCredits(cost));
    const row = await requestRow(response.headers.get('x-request-id')!);
    expect(row).toMatchObject({ endpoint: 'messages', prompt_tokens: 9, cached_tokens: 4, cache_write_tokens: 2, completion_tokens: 4 });
    expect(BigInt(row.cost)).toBe(cost);
    expect(await db.query('SELECT amount::text, kind FROM ledger WHERE request_id = $1', [row.id])).toEqual([{ amount: String(-cost), kind: 'usage' }]);
  });

  it('bills a streamed answer once, with the request logged under messages', async () => {
    const stream = client().messages.stream({ model, max_tokens: 50, messages: [{ role: 'user', content: 'count [[reply:4]]' }] });
    const final = await stream.finalMessage();
    const id = (await stream.withResponse()).response.headers.get('x-request-id')!;
    const row = await requestRow(id);
    expect(row).toMatchObject({ endpoint: 'messages', stream: true, status: 200, completion_tokens: final.usage.output_tokens });
    expect((await db.query('SELECT 1 FROM ledger WHERE request_id = $1', [id])).length).toBe(1);
  });

  it('replays a streamed answer for a repeated Idempotency-Key, thinking and signature included, charged once', async () => {
    const params = { model, max_tokens: 4096, thinking: { type: 'enabled' as const, budget_tokens: 1024 }, messages: [{ role: 'user' as const, content: 'count [[reply:3]]' }] };
    const headers = { 'Idempotency-Key': `idem-${Date.now()}` };
    const first = await client().messages.stream(params, { headers }).finalMessage();
    const again = client().messages.stream(params, { headers });
    const replayed = await again.finalMessage();
    expect(replayed.content).toEqual(first.content);
    expect(replayed.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(replayed.stop_reason).toBe('end_turn');
    expect(replayed.usage.output_tokens).toBe(first.usage.output_tokens);
    expect(messagesSent()).toHaveLength(1);
    expect((await db.query('SELECT 1 FROM ledger WHERE request_id = $1', [(await again.withResponse()).response.headers.get('x-request-id')])).length).toBe(0);
  });

  it('logs count_tokens without a charge', async () => {
    const { response } = await client().messages.countTokens({ model, messages: [{ role: 'user', content: 'Hello' }] }).withResponse();
    const row = await requestRow(response.headers.get('x-request-id')!);
    expect(row).toMatchObject({ endpoint: 'messages.count_tokens', status: 200 });
    expect(BigInt(row.cost)).toBe(0n);
    expect(await db.query('SELECT 1 FROM ledger WHERE request_id = $1', [row.id])).toEqual([]);
  });
});

describe("errors in Anthropic's shape and statuses", () => {
  const hi = { model, max_tokens: 20, messages: [{ role: 'user' as const, content: 'Hi' }] };

  it('401 authentication_error for a key the gateway does not know', async () => {
    const err = await failure(anthropicClient(gw.url, 'tg-not-a-key').messages.create(hi));
    expect(err).toMatchObject({ status: 401, type: 'authentication_error' });
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) } });
  });

  it('402 billing_error when the account cannot pay', async () => {
    const broke = await createUserWithKey(gw, { credits: '0' });
    const err = await failure(anthropicClient(gw.url, broke.key).messages.create(hi));
    expect(err).toMatchObject({ status: 402, type: 'billing_error' });
    expect(err.message).toContain('Insufficient credits');
  });

  it('404 not_found_error for an unknown model', async () => {
    const err = await failure(client().messages.create({ ...hi, model: 'no-such-model' }));
    expect(err).toMatchObject({ status: 404, type: 'not_found_error' });
  });

  it('400 invalid_request_error for a malformed body, naming the field', async () => {
    const err = await failure(client().messages.create({ model, messages: [{ role: 'user', content: 'Hi' }] } as never));
    expect(err).toMatchObject({ status: 400, type: 'invalid_request_error' });
    expect(err.message).toContain('max_tokens');
    const extra = await post({ ...hi, frobnicate: true });
    expect(extra.status).toBe(400);
    expect(await extra.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('frobnicate') } });
  });

  it('429 rate_limit_error with retry-after', async () => {
    fault({ fault: { type: 'status', status: 429, retryAfter: 7 } });
    const err = await failure(client().messages.create(hi));
    expect(err).toMatchObject({ status: 429, type: 'rate_limit_error' });
    expect(err.headers?.get('retry-after')).toBe('7');
  });

  it('529 overloaded_error when the provider stays overloaded', async () => {
    fault({ times: 0, fault: { type: 'status', status: 529 } });
    const err = await failure(client().messages.create(hi));
    expect(err).toMatchObject({ status: 529, type: 'overloaded_error' });
  });

  it('an error event mid-stream makes the SDK stream throw, after the text that came first', async () => {
    fault({ fault: { type: 'stream_error', afterEvents: 5, status: 529 } });
    const stream = client().messages.stream({ model, max_tokens: 50, messages: [{ role: 'user', content: 'count [[reply:6]]' }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const err = await failure(stream.finalMessage());
    expect(err.type).toBe('overloaded_error');
    expect(texts.join('')).toBe('w1 w2 ');
  });

  it('a parameter a provider cannot honour is a 400, never dropped', async () => {
    const err = await failure(client().messages.create({ ...hi, model: CHAT_MODELS.openai, top_k: 5 } as never));
    expect(err).toMatchObject({ status: 400, type: 'invalid_request_error' });
    expect(err.message).toContain('top_k');
    const server = await failure(
      client().messages.create({ ...hi, model: CHAT_MODELS.gemini, tools: [{ type: 'web_search_20250305', name: 'web_search' }] } as never),
    );
    expect(server.message).toContain('tools.0.type=web_search_20250305');
  });
});
