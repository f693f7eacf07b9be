import { randomBytes } from 'node:crypto';
import type { FinishReason } from '../../canonical/index.js';
import type { GeminiFunctionCall, GeminiPart } from './wire.js';

/**
 * Gemini finish reasons → canonical. STOP on a candidate that called functions is "tool_calls"
 * (Gemini has no reason of its own for it); every reason that means Gemini withheld output on
 * policy grounds is "content_filter"; anything else (OTHER, MALFORMED_FUNCTION_CALL, …) "stop".
 */
const FINISH: Readonly<Record<string, FinishReason>> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  LANGUAGE: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  IMAGE_PROHIBITED_CONTENT: 'content_filter',
  IMAGE_RECITATION: 'content_filter',
};

export function finishFromGemini(reason: string | undefined, calledFunctions: boolean): FinishReason {
  const finish = (reason && FINISH[reason]) || 'stop';
  return finish === 'stop' && calledFunctions ? 'tool_calls' : finish;
}

/** What the client is told when Gemini refused the prompt itself (promptFeedback.blockReason, no candidates). */
export function blockedPromptRefusal(feedback: { blockReason?: string; blockReasonMessage?: string }): string {
  return `Gemini blocked the prompt (${feedback.blockReason ?? 'BLOCKED_REASON_UNSPECIFIED'})${feedback.blockReasonMessage ? `: ${feedback.blockReasonMessage}` : '.'}`;
}

/** The answer text (thought parts excluded; undefined when there is none) and the function calls of some parts. */
export function splitParts(parts: GeminiPart[] | undefined): { text: string | undefined; calls: GeminiFunctionCall[] } {
  let text: string | undefined;
  const calls: GeminiFunctionCall[] = [];
  for (const p of parts ?? []) {
    if (p.thought) continue;
    if (typeof p.text === 'string') text = (text ?? '') + p.text;
    if (p.functionCall) calls.push(p.functionCall);
  }
  return { text, calls };
}

/**
 * Tool-call ids for one response. Gemini usually gives none, so the gateway names them
 * `call_<responseId>_<n>`, n counting the response's calls in order: the same call gets the same
 * id whether the answer was streamed or not.
 */
export class ToolCallIds {
  private n = 0;
  private readonly base: string;

  constructor(responseId: string | undefined) {
    this.base = responseId || randomBytes(9).toString('base64url');
  }

  next(call: GeminiFunctionCall): string {
    const n = this.n++;
    return call.id || `call_${this.base}_${n}`;
  }
}
