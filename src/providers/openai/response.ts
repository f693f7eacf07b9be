import type { ChatChoice, ChatResponse, FinishReason, ToolCall } from '../../canonical/index.js';
import { malformedResponse, tryParseJson } from '../shared/errors.js';
import type { OpenAIDialect } from './dialect.js';
import { usageFromOpenAI } from './usage.js';

interface WireToolCall {
  id?: string;
  function?: { name?: string; arguments?: string };
}
interface WireChoice {
  index?: number;
  message?: { content?: string | null; tool_calls?: WireToolCall[]; refusal?: string | null; function_call?: { name?: string; arguments?: string } };
  finish_reason?: string | null;
  logprobs?: unknown;
}
interface WireResponse {
  id?: string;
  created?: number;
  model?: string;
  choices?: WireChoice[];
  usage?: unknown;
  system_fingerprint?: string | null;
}

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

export function finishReasonFromOpenAI(reason: string | null | undefined, dialect: OpenAIDialect): FinishReason {
  if (!reason) return 'stop';
  return FINISH[reason] ?? dialect.finishReasons?.[reason] ?? 'stop';
}

/** OpenAI-format response text → canonical; keeps the text for byte-exact relay when allowed. */
export function parseOpenAIChatResponse(text: string, dialect: OpenAIDialect): ChatResponse {
  const body = tryParseJson(text) as WireResponse | undefined;
  if (!body || typeof body !== 'object' || !Array.isArray(body.choices)) {
    throw malformedResponse(dialect.name, 'expected a JSON object with a choices array');
  }
  const choices: ChatChoice[] = body.choices.map((c, i) => {
    const msg = c.message ?? {};
    let toolCalls: ToolCall[] | undefined;
    if (Array.isArray(msg.tool_calls) && msg.tool_calls.length > 0) {
      toolCalls = msg.tool_calls.map((t) => ({ id: t.id ?? '', name: t.function?.name ?? '', arguments: t.function?.arguments ?? '' }));
    } else if (msg.function_call) {
      toolCalls = [{ id: '', name: msg.function_call.name ?? '', arguments: msg.function_call.arguments ?? '' }];
    }
    const choice: ChatChoice = {
      index: c.index ?? i,
      text: msg.content ?? null,
      finishReason: finishReasonFromOpenAI(c.finish_reason, dialect),
    };
    if (toolCalls) choice.toolCalls = toolCalls;
    if (msg.refusal) choice.refusal = msg.refusal;
    if (c.logprobs) choice.logprobs = c.logprobs;
    return choice;
  });
  const resp: ChatResponse = {
    id: body.id ?? '',
    created: body.created ?? Math.floor(Date.now() / 1000),
    model: body.model ?? '',
    choices,
    usage: usageFromOpenAI(body.usage),
    systemFingerprint: body.system_fingerprint ?? null,
  };
  if (dialect.passthrough) resp.raw = { format: 'openai', text };
  return resp;
}
