import { randomBytes } from 'node:crypto';
import type { ChatChoice, ChatResponse, ToolCall } from '../../canonical/index.js';
import { malformedResponse, tryParseJson } from '../shared/errors.js';
import type { UpstreamTarget } from '../types.js';
import { blockedPromptRefusal, finishFromGemini, splitParts, ToolCallIds } from './candidate.js';
import { GEMINI } from './endpoint.js';
import { logprobsFromGemini } from './logprobs.js';
import { usageFromGemini } from './usage.js';
import type { GeminiCandidate, GeminiResponse } from './wire.js';

/**
 * GenerateContentResponse → canonical. Each candidate is a choice. A prompt Gemini refused
 * outright (promptFeedback.blockReason, no candidates) is answered, not failed: one choice with
 * no content, the reason as `refusal` and finish "content_filter", so the client learns why and
 * the prompt tokens Gemini counted are billed.
 */
export function parseGeminiChatResponse(text: string, target: UpstreamTarget): ChatResponse {
  const body = tryParseJson(text) as GeminiResponse | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw malformedResponse(GEMINI, 'expected a GenerateContentResponse object');
  const candidates = Array.isArray(body.candidates) ? body.candidates : [];
  let choices: ChatChoice[];
  if (candidates.length > 0) {
    const ids = new ToolCallIds(body.responseId);
    choices = [...candidates].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((c, i) => toChoice(c, i, ids));
  } else if (body.promptFeedback?.blockReason) {
    choices = [{ index: 0, text: null, refusal: blockedPromptRefusal(body.promptFeedback), finishReason: 'content_filter' }];
  } else {
    throw malformedResponse(GEMINI, 'no candidates and no promptFeedback.blockReason');
  }
  const resp: ChatResponse = {
    id: body.responseId || `gemini-${randomBytes(9).toString('base64url')}`,
    created: Math.floor(Date.now() / 1000),
    model: body.modelVersion ?? target.model.upstreamModel,
    choices,
  };
  const usage = usageFromGemini(body.usageMetadata);
  if (usage) resp.usage = usage;
  return resp;
}

function toChoice(c: GeminiCandidate, i: number, ids: ToolCallIds): ChatChoice {
  const { text, calls } = splitParts(c.content?.parts);
  const choice: ChatChoice = {
    index: c.index ?? i,
    text: text ?? null,
    finishReason: finishFromGemini(c.finishReason, calls.length > 0),
  };
  if (calls.length > 0) {
    choice.toolCalls = calls.map((fc): ToolCall => ({ id: ids.next(fc), name: fc.name ?? '', arguments: JSON.stringify(fc.args ?? {}) }));
  }
  const logprobs = logprobsFromGemini(c.logprobsResult);
  if (logprobs) choice.logprobs = logprobs;
  return choice;
}
