import { ApiError, FunctionCallingConfigMode, GoogleGenAI, Type, type Content, type FunctionDeclaration } from '@google/genai';
import { GoogleGenerativeAI, GoogleGenerativeAIFetchError, SchemaType } from '@google/generative-ai';
import { beforeEach, describe, expect, it } from 'vitest';
import { CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { injectFault } from '../helpers/mock-control.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The Gemini ingress (POST /v1beta/models/{model}:generateContent and :streamGenerateContent)
 * through Google's SDKs — the current @google/genai and the older @google/generative-ai — against
 * every provider behind the mock upstream: one contract, run per provider and SDK.
 */
const h = useGatewayHarness();
beforeEach(() => h.mock.faults.clear());

type Loose = Record<string, any>;
const genai = (key = h.key) => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: h.gw.url } });
const legacy = (model: string, extra: Loose = {}, key = h.key) => new GoogleGenerativeAI(key).getGenerativeModel({ model, ...extra }, { baseUrl: h.gw.url });

const weather: FunctionDeclaration = {
  name: 'get_weather',
  description: 'Current weather',
  parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } }, required: ['city'] },
};

async function requestRow(id: string) {
  return waitFor(async () => (await h.db.query<Loose>('SELECT endpoint, model_alias, status FROM requests WHERE id = $1', [id]))[0], { what: `the request row of ${id}` });
}

describe.each(Object.entries(CHAT_MODELS))('Gemini ingress → %s', (provider, model) => {
  describe('@google/genai', () => {
    it('generates content with usageMetadata; the request row names the endpoint', async () => {
      const r = await genai().models.generateContent({ model, contents: 'Hello there gateway' });
      expect(r.text).toBe('Mock reply to: Hello there gateway');
      expect(r.candidates?.[0]?.finishReason).toBe('STOP');
      expect(r.usageMetadata).toMatchObject({ promptTokenCount: 3, candidatesTokenCount: 6, totalTokenCount: 9 });
      expect(r.modelVersion).toBeTruthy();
      const id = r.responseId!;
      expect(await requestRow(id)).toMatchObject({ endpoint: 'gemini.generateContent', model_alias: model, status: 200 });
      expect(h.mock.requests.at(-1)!.provider).toBe(provider);
    });

    it('streams text chunks and ends with the finish reason and usage', async () => {
      const pieces: string[] = [];
      let last: Loose | undefined;
      for await (const chunk of await genai().models.generateContentStream({ model, contents: 'tell me [[reply:4]]' })) {
        pieces.push(chunk.text ?? '');
        last = chunk;
      }
      expect(pieces.join('')).toBe('w1 w2 w3 w4');
      expect(last!.candidates[0].finishReason).toBe('STOP');
      expect(last!.usageMetadata).toMatchObject({ promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 });
    });

    it('honours systemInstruction, an inline image and a JSON response schema', async () => {
      const sys = await genai().models.generateContent({
        model,
        contents: [{ role: 'user', parts: [{ text: 'What is this?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] }],
        config: { systemInstruction: 'Be terse.' },
      });
      expect(sys.text).toBe('Mock reply to: What is this? (saw 1 image)');
      const json = await genai().models.generateContent({
        model,
        contents: 'A number',
        config: { responseMimeType: 'application/json', responseSchema: { type: Type.OBJECT, properties: { n: { type: Type.INTEGER } }, required: ['n'] } },
      });
      expect(JSON.parse(json.text!)).toEqual({ n: 42 });
    });

    it('calls a function (plain and streamed) and answers its functionResponse', async () => {
      const config = { tools: [{ functionDeclarations: [weather] }], toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } } };
      const r = await genai().models.generateContent({ model, contents: 'weather in Paris?', config });
      expect(r.functionCalls).toEqual([{ id: expect.any(String), name: 'get_weather', args: { city: 'mock' } }]);
      const streamed: Loose[] = [];
      for await (const chunk of await genai().models.generateContentStream({ model, contents: 'weather in Paris?', config })) streamed.push(...(chunk.functionCalls ?? []));
      expect(streamed).toEqual([{ id: expect.any(String), name: 'get_weather', args: { city: 'mock' } }]);

      const history: Content[] = [
        { role: 'user', parts: [{ text: 'weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: r.functionCalls![0] }] },
        { role: 'user', parts: [{ functionResponse: { id: r.functionCalls![0]!.id, name: 'get_weather', response: { result: 'sunny, 21C' } } }] },
      ];
      const answer = await genai().models.generateContent({ model, contents: history, config: { tools: config.tools } });
      expect(answer.text).toBe('Tool result received: sunny, 21C');
    });
  });

  describe('@google/generative-ai', () => {
    it('generates and streams content', async () => {
      const r = await legacy(model).generateContent('Hello there gateway');
      expect(r.response.text()).toBe('Mock reply to: Hello there gateway');
      expect(r.response.usageMetadata).toMatchObject({ promptTokenCount: 3, candidatesTokenCount: 6, totalTokenCount: 9 });
      const s = await legacy(model).generateContentStream('tell me [[reply:3]]');
      const pieces: string[] = [];
      for await (const chunk of s.stream) pieces.push(chunk.text());
      expect(pieces.join('')).toBe('w1 w2 w3');
      expect((await s.response).text()).toBe('w1 w2 w3');
    });

    it('calls a function in a chat and answers the function response without ids', async () => {
      const m = legacy(model, {
        tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: SchemaType.OBJECT, properties: { city: { type: SchemaType.STRING } }, required: ['city'] } }] }],
      });
      const chat = m.startChat();
      const first = await chat.sendMessage('weather in Paris?');
      expect(first.response.functionCalls()).toEqual([{ id: expect.any(String), name: 'get_weather', args: { city: 'mock' } }]);
      const second = await chat.sendMessage([{ functionResponse: { name: 'get_weather', response: { result: 'sunny, 21C' } } }]);
      expect(second.response.text()).toBe('Tool result received: sunny, 21C');
    });
  });

  it('maps an upstream 429 to a 429 in Google’s error shape', async () => {
    await injectFault(h.mock, { provider, fault: { type: 'status', status: 429, retryAfter: 7 } });
    const err = await genai().models.generateContent({ model, contents: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect(JSON.parse((err as ApiError).message).error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
  });
});

describe('Gemini ingress: keys, errors, billing and framing', () => {
  const model = CHAT_MODELS.gemini;
  const url = (method: string, query = '') => `${h.gw.url}/v1beta/models/${model}:${method}${query}`;
  const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'tell me [[reply:2]]' }] }] });

  it('takes the key from ?key= too, and bills the request with cost headers and one ledger charge', async () => {
    const res = await fetch(url('generateContent', `?key=${h.key}`), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tollgate-cost')).toBe('0.000007');
    expect(res.headers.get('x-tollgate-balance')).toMatch(/^\d+\.\d{6}$/);
    const id = res.headers.get('x-request-id')!;
    expect(await requestRow(id)).toMatchObject({ endpoint: 'gemini.generateContent' });
    const charges = await waitFor(async () => {
      const rows = await h.db.query<Loose>("SELECT amount::text FROM ledger WHERE request_id = $1 AND kind = 'usage'", [id]);
      return rows.length ? rows : undefined;
    }, { what: 'the usage charge' });
    expect(charges).toEqual([{ amount: '-7' }]);
  });

  it('streams SSE with alt=sse, the last event carrying usage and the gateway’s cost and balance', async () => {
    const res = await fetch(url('streamGenerateContent', '?alt=sse'), { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': h.key }, body });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text()).split('\r\n\r\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')) as Loose);
    expect(events.at(-1)).toMatchObject({ usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2 }, x_tollgate: { cost: '0.000007', estimated: false } });
    expect(events.at(-1)!.x_tollgate.balance).toMatch(/^\d+\.\d{6}$/);
  });

  it('ends a stream the provider cut with an error event in Google’s shape', async () => {
    await injectFault(h.mock, { provider: 'openai', fault: { type: 'cut_stream', afterEvents: 3 } });
    const res = await fetch(`${h.gw.url}/v1beta/models/${CHAT_MODELS.openai}:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': h.key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'tell me [[reply:20]]' }] }] }),
    });
    const events = (await res.text()).split('\r\n\r\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')) as Loose);
    expect(events[0].candidates[0].content.parts[0].text).toBeTruthy();
    expect(events.at(-1)!.error).toMatchObject({ status: expect.any(String), code: expect.any(Number) });
  });

  it('streams one JSON array without alt=sse', async () => {
    const res = await fetch(url('streamGenerateContent'), { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': h.key }, body });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const items = JSON.parse(await res.text()) as Loose[];
    expect(items.map((i) => i.candidates[0].content.parts.map((p: Loose) => p.text).join('')).join('')).toBe('w1 w2');
    expect(items.at(-1)!).toMatchObject({ candidates: [{ finishReason: 'STOP' }], usageMetadata: { candidatesTokenCount: 2 } });
  });

  it('replays a JSON-array stream for a repeated Idempotency-Key as a JSON array', async () => {
    const headers = { 'content-type': 'application/json', 'x-goog-api-key': h.key, 'idempotency-key': `gemini-array-${Date.now()}` };
    const first = await fetch(url('streamGenerateContent'), { method: 'POST', headers, body });
    const firstText = await first.text();
    // The first request's settlement (and so its stored answer) is written by the settlers.
    const again = await waitFor(async () => {
      const r = await fetch(url('streamGenerateContent'), { method: 'POST', headers, body });
      return r.status === 200 ? r : (await r.arrayBuffer(), undefined);
    }, { what: 'the replay' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toMatch(/^application\/json/);
    // Rebuilt from the stored answer: the same text, cut into pieces of its own.
    const text = (items: Loose[]) => items.map((i) => i.candidates[0].content?.parts?.map((p: Loose) => p.text).join('') ?? '').join('');
    const replayed = JSON.parse(await again.text()) as Loose[];
    expect(text(replayed)).toBe(text(JSON.parse(firstText) as Loose[]));
  });

  it('401, 402 and 404 in Google’s error shape, through both SDKs', async () => {
    const unauth = (await genai('tg_nope').models.generateContent({ model, contents: 'hi' }).catch((e) => e)) as ApiError;
    expect(unauth.status).toBe(401);
    expect(JSON.parse(unauth.message).error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    const missing = (await legacy('no-such-model').generateContent('hi').catch((e) => e)) as GoogleGenerativeAIFetchError;
    expect(missing).toBeInstanceOf(GoogleGenerativeAIFetchError);
    expect(missing.status).toBe(404);
    expect(missing.statusText).toBeTruthy();
    const broke = await createUserWithKey(h.gw, { credits: '0' });
    const poor = (await genai(broke.key).models.generateContent({ model, contents: 'hi' }).catch((e) => e)) as ApiError;
    expect(poor.status).toBe(402);
    expect(JSON.parse(poor.message).error).toMatchObject({ code: 402, status: 'FAILED_PRECONDITION', details: [{ reason: 'insufficient_credits' }] });
  });

  it.each([
    ['safetySettings', { safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }] }],
    ['generationConfig.topK', { generationConfig: { topK: 3 } }],
    ['tools[0].googleSearch', { tools: [{ googleSearch: {} }] }],
    ['contents[0].parts[0].fileData', { contents: [{ role: 'user', parts: [{ fileData: { fileUri: 'https://x', mimeType: 'image/png' } }] }] }],
    ['bogus', { bogus: 1 }],
  ] as [string, Loose][])('refuses %s with a 400 naming it', async (param, extra) => {
    const res = await fetch(url('generateContent'), { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': h.key }, body: JSON.stringify({ ...JSON.parse(body), ...extra }) });
    expect(res.status).toBe(400);
    const err = ((await res.json()) as Loose).error;
    expect(err).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(err.details[0].metadata.param).toBe(param);
  });
});
