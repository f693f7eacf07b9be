import { GoogleGenerativeAI, GoogleGenerativeAIFetchError, SchemaType, type FunctionDeclarationsTool } from '@google/generative-ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from './server.js';

/** The official Gemini SDK against the mock: proof that the simulator speaks the real wire format. */

let mock: MockUpstream;
const model = (name = 'gemini-2.5-flash', key = 'AIza-mock-key') =>
  new GoogleGenerativeAI(key).getGenerativeModel({ model: name }, { baseUrl: `${mock.url}/gemini` });

beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(async () => {
  await mock?.close();
});
beforeEach(() => {
  mock.faults.clear();
});

const weatherTool: FunctionDeclarationsTool = {
  functionDeclarations: [
    {
      name: 'get_weather',
      description: 'Current weather',
      parameters: { type: SchemaType.OBJECT, properties: { city: { type: SchemaType.STRING } }, required: ['city'] },
    },
  ],
};

describe('mock Gemini through @google/generative-ai', () => {
  it('generates content with usage, and received the key in x-goog-api-key', async () => {
    const r = await model().generateContent('Hello there simulator [[cached:2]]');
    expect(r.response.text()).toBe('Mock reply to: Hello there simulator [[cached:2]]');
    expect(r.response.candidates![0]!.finishReason).toBe('STOP');
    expect(r.response.usageMetadata).toMatchObject({ promptTokenCount: 4, candidatesTokenCount: 7, totalTokenCount: 11, cachedContentTokenCount: 2 });
    const sent = mock.requests.at(-1)!;
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.headers['x-goog-api-key']).toBe('AIza-mock-key');
  });

  it('streams text over SSE in several chunks with the finish reason on the last', async () => {
    const r = await model().generateContentStream('tell me [[reply:4]]');
    const pieces: string[] = [];
    for await (const chunk of r.stream) pieces.push(chunk.text());
    expect(pieces).toEqual(['w1 ', 'w2 ', 'w3 ', 'w4']);
    const whole = await r.response;
    expect(whole.text()).toBe('w1 w2 w3 w4');
    expect(whole.candidates![0]!.finishReason).toBe('STOP');
    expect(whole.usageMetadata).toMatchObject({ candidatesTokenCount: 4 });
    expect(mock.requests.at(-1)!.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });

  it('calls a function, plainly and streamed, with arguments from its schema', async () => {
    const m = new GoogleGenerativeAI('k').getGenerativeModel({ model: 'gemini-2.5-flash', tools: [weatherTool] }, { baseUrl: `${mock.url}/gemini` });
    const r = await m.generateContent('weather in Paris?');
    expect(r.response.functionCalls()).toEqual([{ name: 'get_weather', args: { city: 'mock' } }]);
    const s = await m.generateContentStream('weather in Paris?');
    for await (const _ of s.stream) void _;
    expect((await s.response).functionCalls()).toEqual([{ name: 'get_weather', args: { city: 'mock' } }]);
  });

  it('answers a function response and honours systemInstruction and JSON mode', async () => {
    const m = new GoogleGenerativeAI('k').getGenerativeModel(
      { model: 'gemini-2.5-flash', tools: [weatherTool], systemInstruction: 'Be terse.' },
      { baseUrl: `${mock.url}/gemini` },
    );
    const chat = m.startChat({
      history: [
        { role: 'user', parts: [{ text: 'weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
      ],
    });
    const r = await chat.sendMessage([{ functionResponse: { name: 'get_weather', response: { result: 'sunny, 21C' } } }]);
    expect(r.response.text()).toBe('Tool result received: sunny, 21C');
    expect((mock.requests.at(-1)!.body as { systemInstruction: unknown }).systemInstruction).toEqual({ role: 'system', parts: [{ text: 'Be terse.' }] });

    const json = new GoogleGenerativeAI('k').getGenerativeModel(
      { model: 'gemini-2.5-flash', generationConfig: { responseMimeType: 'application/json', responseSchema: { type: SchemaType.OBJECT, properties: { n: { type: SchemaType.INTEGER } } } } },
      { baseUrl: `${mock.url}/gemini` },
    );
    expect(JSON.parse((await json.generateContent('a number please')).response.text())).toEqual({ n: 42 });
  });

  it('embeds one content and a batch', async () => {
    const m = model('gemini-embedding-001');
    const one = await m.embedContent('hello world');
    expect(one.embedding.values).toHaveLength(8);
    const batch = await m.batchEmbedContents({
      requests: [
        { content: { role: 'user', parts: [{ text: 'hello world' }] } },
        { content: { role: 'user', parts: [{ text: 'other' }] }, outputDimensionality: 4 } as never,
      ],
    });
    expect(batch.embeddings.map((e) => e.values.length)).toEqual([8, 4]);
    expect(batch.embeddings[0]!.values).toEqual(one.embedding.values);
  });

  it('surfaces an injected 429 and a rejected key as the SDK’s fetch error', async () => {
    mock.faults.add({ provider: 'gemini', fault: { type: 'status', status: 429, retryAfter: 9 } });
    const err = await model().generateContent('hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GoogleGenerativeAIFetchError);
    expect(err).toMatchObject({ status: 429 });
    expect((err as GoogleGenerativeAIFetchError).errorDetails).toContainEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '9s' });

    const bad = await model('gemini-2.5-flash', 'bad-key').generateContent('hi').catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400 });
    expect((bad as GoogleGenerativeAIFetchError).errorDetails).toContainEqual(expect.objectContaining({ reason: 'API_KEY_INVALID' }));
  });

  it('rejects what the real API rejects', async () => {
    const m = model();
    const err = await m.generateContent({ contents: [{ role: 'system', parts: [{ text: 'hi' }] }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400 });
    expect((err as Error).message).toContain('Please use a valid role: user, model.');
    const stops = await m.generateContent({ contents: [{ role: 'user', parts: [{ text: 'x' }] }], generationConfig: { stopSequences: ['1', '2', '3', '4', '5', '6'] } }).catch((e: unknown) => e);
    expect(stops).toMatchObject({ status: 400 });
    const orphan = await m
      .generateContent({ contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: { ok: true } } }] }] })
      .catch((e: unknown) => e);
    expect((orphan as Error).message).toContain('number of function response parts');
    const unknown = await m.generateContent({ contents: [{ role: 'user', parts: [{ text: 'x' }] }], generationConfig: { reasoningEffort: 'low' } as never }).catch((e: unknown) => e);
    expect((unknown as Error).message).toContain(`Unknown name "reasoningEffort" at 'generation_config'`);
  });
});
