import type { ChatParams, ChatRequest } from '../../canonical/index.js';
import { InvalidRequestError, UnsupportedParameterError } from '../../errors.js';

/**
 * How a provider treats one canonical parameter. Tables are exhaustive (every ChatParams key must
 * be declared), so adding a parameter forces every provider to decide, and nothing is dropped
 * silently.
 */
export interface ParamRule {
  /** Dotted path in the upstream body ("generationConfig.topP"); absent when not sent upstream. */
  to?: string;
  /** The provider's accepted range; a value outside it is a 400 naming the parameter. */
  min?: number;
  max?: number;
  /** Converts the canonical value to the provider's (e.g. seconds → ms, "required" → "any"). */
  map?: (value: never, req: ChatRequest) => unknown;
  /** Why this value cannot be honoured (→ 400); `true` means never supported. */
  unsupported?: true | string | ((value: never, req: ChatRequest) => string | undefined);
  /** The gateway honours the parameter itself (e.g. `user` goes into the request log). */
  consumed?: true;
}

export type ParamTable = { readonly [K in keyof Required<ChatParams>]: ParamRule };

/** The OpenAI name of each canonical parameter, for error messages clients recognise. */
export const OPENAI_PARAM_NAMES: { readonly [K in keyof Required<ChatParams>]: string } = {
  maxTokens: 'max_tokens',
  temperature: 'temperature',
  topP: 'top_p',
  stop: 'stop',
  n: 'n',
  seed: 'seed',
  presencePenalty: 'presence_penalty',
  frequencyPenalty: 'frequency_penalty',
  logitBias: 'logit_bias',
  logprobs: 'logprobs',
  topLogprobs: 'top_logprobs',
  user: 'user',
  reasoningEffort: 'reasoning_effort',
  thinkingBudget: 'thinking.budget_tokens',
  topK: 'top_k',
  reasoningSummary: 'reasoning.summary',
  parallelToolCalls: 'parallel_tool_calls',
};

/** Walks the request's parameters through a provider's table, writing them into `out`. */
export function applyParams(req: ChatRequest, table: ParamTable, out: Record<string, unknown>, provider: string): void {
  const params = req.params as Record<string, unknown>;
  for (const key in params) {
    const value = params[key];
    if (value === undefined) continue;
    const k = key as keyof ChatParams;
    const rule = table[k];
    const name = OPENAI_PARAM_NAMES[k];
    if (rule.unsupported !== undefined) {
      const reason = typeof rule.unsupported === 'function' ? rule.unsupported(value as never, req) : rule.unsupported;
      if (reason) throw new UnsupportedParameterError(name, provider, reason === true ? undefined : reason);
    }
    if (typeof value === 'number' && ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max))) {
      throw new InvalidRequestError(`'${name}' must be between ${rule.min ?? '-∞'} and ${rule.max ?? '∞'} for the ${provider} provider; got ${value}.`, {
        param: name,
        code: 'invalid_value',
      });
    }
    if (rule.to) setPath(out, rule.to, rule.map ? rule.map(value as never, req) : value);
  }
}

/** Rejects OpenAI-only fields (kept in `extra`) for providers that cannot honour them. */
export function rejectExtras(req: ChatRequest, provider: string, allowed: ReadonlySet<string> = EMPTY): void {
  if (!req.extra) return;
  for (const key in req.extra) {
    if (!allowed.has(key)) throw new UnsupportedParameterError(key, provider);
  }
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * Rejects what the client's wire format asked for that the canonical form does not model, for a
 * provider that does not speak that format (only one that does can forward it).
 */
export function rejectUnmodelled(req: ChatRequest, provider: string): void {
  const first = req.wire?.unmodelled?.[0];
  if (first !== undefined) throw new UnsupportedParameterError(first, provider, `only a provider that speaks the ${req.wire!.format} format can honour it`);
}

export function setPath(out: Record<string, unknown>, path: string, value: unknown): void {
  const dot = path.indexOf('.');
  if (dot < 0) {
    out[path] = value;
    return;
  }
  const head = path.slice(0, dot);
  let child = out[head] as Record<string, unknown> | undefined;
  if (!child) {
    child = {};
    out[head] = child;
  }
  setPath(child, path.slice(dot + 1), value);
}
