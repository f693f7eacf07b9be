import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../../src/errors.js';
import { parseGenerateContent } from '../../../../src/http/gemini/parse.js';
import { ARRAY_FRAMING, GeminiStreamEncoder, SSE_FRAMING } from '../../../../src/http/gemini/stream.js';

const path = '/v1beta/models/gemini-flash:streamGenerateContent';
const ident = { id: 'r1', created: 1, model: 'gemini-2.5-flash' };
const report = { cost: '0.000010', balance: null, estimated: false };
const usage = { promptTokens: 4, completionTokens: 9, cachedPromptTokens: 2, cacheWriteTokens: 0, reasoningTokens: 7 };

describe('GenerateContentRequest → canonical request', () => {
  it('reads the model and streaming from the path, turns and function calls with made-up ids, and generationConfig', () => {
    const req = parseGenerateContent(
      {
        systemInstruction: { parts: [{ text: 'Be terse.' }] },
        contents: [
          { role: 'user', parts: [{ text: 'weather?' }, { inlineData: { mimeType: 'image/png', data: 'AAA=' } }] },
          { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { result: 'sunny' } } }] },
        ],
        tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING', nullable: true } } } }] }],
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
        generationConfig: { maxOutputTokens: 20, stopSequences: ['x'], candidateCount: 2, responseMimeType: 'application/json', thinkingConfig: { thinkingBudget: 1000 } },
      },
      path,
    );
    expect(req).toMatchObject({ model: 'gemini-flash', stream: true, params: { maxTokens: 20, stop: ['x'], n: 2, reasoningEffort: 'low' }, responseFormat: { type: 'json_object' } });
    expect(req.messages).toEqual([
      { role: 'system', text: 'Be terse.' },
      { role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'image', url: 'data:image/png;base64,AAA=' }] },
      { role: 'assistant', text: null, toolCalls: [{ id: 'call_1_0', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', toolCallId: 'call_1_0', text: 'sunny' },
    ]);
    expect(req.tools).toEqual([{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: ['string', 'null'] } } } }]);
    expect(req.toolChoice).toEqual('required');
  });
});

describe('canonical stream → Gemini responses', () => {
  it('sends text as it comes and a function call whole, with finish and usage last (SSE)', () => {
    const enc = new GeminiStreamEncoder(ident, SSE_FRAMING);
    const sse =
      enc.chunk({ choices: [{ index: 0, role: 'assistant', text: 'Hi' }] }) +
      enc.chunk({ choices: [{ index: 0, toolCalls: [{ index: 0, id: 'c1', name: 'f', arguments: '{"a"' }] }] }) +
      enc.chunk({ choices: [{ index: 0, toolCalls: [{ index: 0, arguments: ':1}' }] }] }) +
      enc.chunk({ choices: [{ index: 0, finishReason: 'tool_calls' }] }) +
      enc.end(usage, report);
    const out = sse.split('\r\n\r\n').filter(Boolean).map((e) => JSON.parse(e.slice(6)));
    expect(out.map((o) => o.candidates[0].content.parts)).toEqual([[{ text: 'Hi' }], [{ functionCall: { id: 'c1', name: 'f', args: { a: 1 } } }], [{ text: '' }]]);
    expect(out.at(-1)).toMatchObject({
      candidates: [{ finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 2, thoughtsTokenCount: 7, cachedContentTokenCount: 2, totalTokenCount: 13 },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'r1',
      x_tollgate: report,
    });
  });

  it('writes one JSON array without alt=sse, and an error as its last element', () => {
    const enc = new GeminiStreamEncoder(ident, ARRAY_FRAMING);
    const text = enc.chunk({ choices: [{ index: 0, text: 'Hi' }] }) + enc.end(usage, report);
    expect(JSON.parse(text)).toHaveLength(2);
    const failed = new GeminiStreamEncoder(ident, ARRAY_FRAMING);
    const parsed = JSON.parse(failed.chunk({ choices: [{ index: 0, text: 'Hi' }] }) + failed.error(new GatewayError('upstream', 'cut', { code: 'upstream_stream_cut' })));
    expect(parsed).toHaveLength(2);
    expect(parsed[1]).toMatchObject({ error: { code: 502, status: 'INTERNAL', message: 'cut' } });
  });
});
