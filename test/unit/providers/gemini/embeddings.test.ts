import { describe, expect, it } from 'vitest';
import type { EmbeddingsRequest } from '../../../../src/canonical/index.js';
import { buildGeminiEmbeddingsRequest, parseGeminiEmbeddingsResponse } from '../../../../src/providers/gemini/embeddings.js';
import { fixture, target } from './support.js';

const embTarget = { ...target, model: { ...target.model, upstreamModel: 'gemini-embedding-001', kind: 'embedding' as const } };
const req = (over: Partial<EmbeddingsRequest> = {}): EmbeddingsRequest => ({ model: 'gemini-embedding', input: ['one two', 'three'], single: false, ...over });

describe('Gemini embeddings translation', () => {
  it('sends one batchEmbedContents request per input, naming the model and the dimensions', () => {
    const r = buildGeminiEmbeddingsRequest(req({ dimensions: 256, user: 'u-1' }), embTarget);
    expect(r.path).toBe('/models/gemini-embedding-001:batchEmbedContents');
    expect(r.headers['x-goog-api-key']).toBe('AIza-test-key');
    expect(JSON.parse(r.body!)).toEqual({
      requests: [
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'one two' }] }, outputDimensionality: 256 },
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'three' }] }, outputDimensionality: 256 },
      ],
    });
  });

  it('rejects token-id input and OpenAI-only fields with a 400', () => {
    expect(() => buildGeminiEmbeddingsRequest(req({ input: [], tokenInput: [1, 2] }), embTarget)).toThrowError(/'input' is not supported by the Gemini provider/);
    expect(() => buildGeminiEmbeddingsRequest(req({ extra: { encoding: 'x' } }), embTarget)).toThrowError(/'encoding'/);
  });

  it('returns the vectors in order and no usage, so the gateway estimates it', () => {
    const r = parseGeminiEmbeddingsResponse(fixture('embeddings-batch.json'), embTarget, req());
    expect(r).toEqual({
      model: 'gemini-embedding-001',
      data: [
        { index: 0, embedding: [0.0123, -0.0456, 0.0789, -0.0012] },
        { index: 1, embedding: [-0.0311, 0.0062, 0.0518, 0.0274] },
      ],
      usage: { promptTokens: 0 },
    });
  });

  it('reports a count mismatch or a missing array as malformed', () => {
    expect(() => parseGeminiEmbeddingsResponse(fixture('embeddings-batch.json'), embTarget, req({ input: ['only one'] }))).toThrowError(/expected 1 embeddings, got 2/);
    expect(() => parseGeminiEmbeddingsResponse('{"embedding":{"values":[1]}}', embTarget, req())).toThrowError(/malformed/);
  });
});
