import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../../../src/canonical/index.js';
import { InvalidRequestError, UnsupportedParameterError } from '../../../../src/errors.js';
import { OPENAI_PARAMS } from '../../../../src/providers/openai/params.js';
import { applyParams, rejectExtras, type ParamTable } from '../../../../src/providers/shared/params.js';

const req = (params: ChatRequest['params'], extra?: Record<string, unknown>): ChatRequest => ({
  model: 'm',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
  stream: false,
  includeUsage: false,
  params,
  extra,
});

const TABLE: ParamTable = {
  ...OPENAI_PARAMS,
  temperature: { to: 'generationConfig.temperature', min: 0, max: 1 },
  seed: { unsupported: 'no seeds here' },
  n: { to: 'candidates', unsupported: (v: number) => (v > 4 ? 'at most 4' : undefined) },
  user: { consumed: true },
};

describe('applyParams', () => {
  it('writes mapped parameters, including dotted paths', () => {
    const out: Record<string, unknown> = {};
    applyParams(req({ temperature: 0.5, topP: 0.9, n: 2, user: 'u1' }), TABLE, out, 'Test');
    expect(out).toEqual({ generationConfig: { temperature: 0.5 }, top_p: 0.9, candidates: 2 });
  });

  it('rejects unsupported parameters with a 400 naming them in OpenAI terms', () => {
    expect(() => applyParams(req({ seed: 1 }), TABLE, {}, 'Test')).toThrow(UnsupportedParameterError);
    expect(() => applyParams(req({ seed: 1 }), TABLE, {}, 'Test')).toThrow("Parameter 'seed' is not supported by the Test provider: no seeds here");
    expect(() => applyParams(req({ n: 5 }), TABLE, {}, 'Test')).toThrow(/'n'.*at most 4/);
    expect(() => applyParams(req({ n: 3 }), TABLE, {}, 'Test')).not.toThrow();
  });

  it('checks the provider range', () => {
    expect(() => applyParams(req({ temperature: 1.5 }), TABLE, {}, 'Test')).toThrow(InvalidRequestError);
    expect(() => applyParams(req({ temperature: 1.5 }), TABLE, {}, 'Test')).toThrow(/'temperature' must be between 0 and 1/);
  });

  it('rejects OpenAI-only extras not on the allow list', () => {
    expect(() => rejectExtras(req({}, { store: true }), 'Test')).toThrow(/'store'/);
    expect(() => rejectExtras(req({}, { safe_prompt: true }), 'Test', new Set(['safe_prompt']))).not.toThrow();
  });
});
