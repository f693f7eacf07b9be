import type { ChoiceDelta, StreamChunk, StreamDecoder, Usage } from '../../canonical/index.js';
import { malformedResponse, streamCut, tryParseJson } from '../shared/errors.js';
import { SseParser, type SseEvent } from '../shared/sse.js';
import { blockedPromptRefusal, finishFromGemini, splitParts, ToolCallIds } from './candidate.js';
import { GEMINI } from './endpoint.js';
import { geminiError } from './errors.js';
import { logprobsFromGemini } from './logprobs.js';
import { usageFromGemini } from './usage.js';
import type { GeminiCandidate, GeminiResponse } from './wire.js';

interface CandidateState {
  /** Tool calls relayed so far (the next call's index). */
  calls: number;
  finished: boolean;
}

/**
 * Decodes streamGenerateContent?alt=sse: every event is a whole GenerateContentResponse holding
 * the next piece of each candidate. Text pieces become text deltas; a function call arrives whole
 * and becomes one tool-call delta with id, name and all its arguments. usageMetadata is repeated
 * on events; the last one is reported in a usage chunk when the stream ends. Gemini sends no
 * end-of-stream marker, so a stream is complete only once every candidate has a finishReason
 * (or the prompt was blocked); anything else is a cut.
 */
export class GeminiStreamDecoder implements StreamDecoder {
  private readonly sse = new SseParser();
  private readonly candidates = new Map<number, CandidateState>();
  private ids: ToolCallIds | undefined;
  private blocked = false;
  private usage: Usage | undefined;
  private id: string | undefined;
  private model: string | undefined;

  push(text: string): StreamChunk[] {
    return this.decode(this.sse.push(text));
  }

  end(): StreamChunk[] {
    const out = this.decode(this.sse.end());
    const complete = this.blocked || (this.candidates.size > 0 && [...this.candidates.values()].every((c) => c.finished));
    if (!complete) throw streamCut(GEMINI);
    if (this.usage) out.push(this.identify({ choices: [], usage: this.usage }));
    return out;
  }

  private decode(events: SseEvent[]): StreamChunk[] {
    const out: StreamChunk[] = [];
    for (const ev of events) {
      const wire = tryParseJson(ev.data) as GeminiResponse | undefined;
      if (!wire || typeof wire !== 'object' || Array.isArray(wire)) throw malformedResponse(GEMINI, 'a stream event was not a JSON object');
      if (wire.error) throw geminiError(wire.error.code ?? 500, wire.error, {});
      const chunk = this.toChunk(wire);
      if (chunk.choices.length > 0 || chunk.promptUsage) out.push(chunk);
    }
    return out;
  }

  private toChunk(wire: GeminiResponse): StreamChunk {
    this.id ??= wire.responseId;
    this.model ??= wire.modelVersion;
    this.ids ??= new ToolCallIds(wire.responseId);
    const reported = usageFromGemini(wire.usageMetadata);
    const firstPrompt = reported && !this.usage;
    this.usage = reported ?? this.usage;
    const choices: ChoiceDelta[] = [];
    const candidates = Array.isArray(wire.candidates) ? wire.candidates : [];
    if (candidates.length === 0 && wire.promptFeedback?.blockReason) {
      this.blocked = true;
      choices.push({ index: 0, role: 'assistant', refusal: blockedPromptRefusal(wire.promptFeedback), finishReason: 'content_filter' });
    }
    for (const c of candidates) {
      const delta = this.toDelta(c);
      if (delta) choices.push(delta);
    }
    const chunk = this.identify({ choices });
    if (firstPrompt) chunk.promptUsage = { promptTokens: reported.promptTokens, cachedPromptTokens: reported.cachedPromptTokens, cacheWriteTokens: reported.cacheWriteTokens };
    return chunk;
  }

  private toDelta(c: GeminiCandidate): ChoiceDelta | undefined {
    const index = c.index ?? 0;
    let state = this.candidates.get(index);
    const first = state === undefined;
    if (!state) {
      state = { calls: 0, finished: false };
      this.candidates.set(index, state);
    }
    const { text, calls } = splitParts(c.content?.parts);
    const delta: ChoiceDelta = { index };
    if (text) delta.text = text;
    if (calls.length > 0) {
      delta.toolCalls = calls.map((fc) => ({ index: state.calls++, id: this.ids!.next(fc), name: fc.name ?? '', arguments: JSON.stringify(fc.args ?? {}) }));
    }
    if (c.finishReason) {
      delta.finishReason = finishFromGemini(c.finishReason, state.calls > 0);
      state.finished = true;
    }
    const logprobs = logprobsFromGemini(c.logprobsResult);
    if (logprobs) delta.logprobs = logprobs;
    if (delta.text === undefined && !delta.toolCalls && !delta.finishReason && !first) return undefined;
    if (first) delta.role = 'assistant';
    return delta;
  }

  private identify(chunk: StreamChunk): StreamChunk {
    if (this.id) chunk.id = this.id;
    if (this.model) chunk.model = this.model;
    return chunk;
  }
}
