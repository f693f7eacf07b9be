import type { ChatRequest, PromptUsage, Usage } from '../canonical/index.js';

/**
 * Token estimates, used where the provider's own count is not known.
 *
 * 1. Upper bound of a prompt (admission, holds): every token of the tokenizers in use (BPE,
 *    SentencePiece with byte fallback) covers at least one UTF-8 byte, so the byte length of all
 *    text sent is an upper bound, plus a fixed allowance per message for role markers and per
 *    image for its tokens. Cheap (no tokenizer on the hot path) and never an under-estimate.
 * 2. Tokens actually relayed, when a stream ends without a usage report: counted with the
 *    o200k_base tokenizer (gpt-tokenizer), loaded on first use only. The request row is marked
 *    usage_estimated.
 */

/** Tokens allowed per message for role and separator markers. */
export const PER_MESSAGE_TOKENS = 8;
/** Tokens allowed per image; above what any supported provider charges for one image. */
export const PER_IMAGE_TOKENS = 3_000;

export function promptUpperBound(req: ChatRequest): number {
  let bytes = 0;
  let extra = 16;
  for (const m of req.messages) {
    extra += PER_MESSAGE_TOKENS;
    switch (m.role) {
      case 'system':
      case 'tool':
        bytes += Buffer.byteLength(m.text);
        break;
      case 'assistant':
        if (m.text) bytes += Buffer.byteLength(m.text);
        if (m.toolCalls) for (const c of m.toolCalls) bytes += Buffer.byteLength(c.name) + Buffer.byteLength(c.arguments) + 8;
        break;
      case 'user':
        for (const p of m.content) {
          if (p.type === 'text') bytes += Buffer.byteLength(p.text);
          else extra += PER_IMAGE_TOKENS;
        }
        break;
    }
  }
  if (req.tools) bytes += Buffer.byteLength(JSON.stringify(req.tools));
  if (req.responseFormat?.type === 'json_schema') bytes += Buffer.byteLength(JSON.stringify(req.responseFormat.schema));
  // Content the canonical form does not model (documents, server tools) is forwarded as written: the body's size bounds it.
  if (req.wire?.unmodelled) bytes += Buffer.byteLength(JSON.stringify(req.wire.body));
  return bytes + extra;
}

/** Output tokens assumed for a token budget when the request sets no max_tokens. */
export const DEFAULT_OUTPUT_ESTIMATE = 1_000;

/**
 * A realistic (not worst-case) token estimate for token-per-minute budgets, taken at admission
 * and corrected with the real usage afterwards: text at four characters a token, 765 per image,
 * plus the output allowed (max_tokens, or DEFAULT_OUTPUT_ESTIMATE) for each choice.
 */
export function tokenBudgetEstimate(req: ChatRequest): number {
  let chars = 0;
  let images = 0;
  for (const m of req.messages) {
    if (m.role === 'user') {
      for (const p of m.content) {
        if (p.type === 'text') chars += p.text.length;
        else images++;
      }
    } else if (m.role === 'assistant') {
      chars += m.text?.length ?? 0;
      for (const c of m.toolCalls ?? []) chars += c.arguments.length + c.name.length;
    } else chars += m.text.length;
  }
  const output = (req.params.maxTokens ?? DEFAULT_OUTPUT_ESTIMATE) * (req.params.n ?? 1);
  return Math.ceil(chars / 4) + images * 765 + output;
}

let counter: ((text: string) => number) | undefined;

async function tokenCounter(): Promise<(text: string) => number> {
  if (!counter) {
    const mod = await import('gpt-tokenizer/encoding/o200k_base');
    counter = (text: string) => mod.countTokens(text);
  }
  return counter;
}

/** Counts tokens of text with the o200k_base tokenizer. */
export async function countTokens(text: string): Promise<number> {
  if (text.length === 0) return 0;
  return (await tokenCounter())(text);
}

/**
 * Usage estimated from the request and the text that was relayed, when the provider sent no
 * usage report; the prompt figures the provider did report (`known`) beat the estimate.
 */
export async function estimateUsage(req: ChatRequest, relayedText: string, known?: PromptUsage): Promise<Usage> {
  const count = await tokenCounter();
  let prompt = known?.promptTokens;
  if (prompt === undefined) {
    prompt = 0;
    for (const m of req.messages) {
      prompt += 4;
      if (m.role === 'user') {
        for (const p of m.content) prompt += p.type === 'text' ? count(p.text) : 765;
      } else if (m.role === 'assistant') {
        if (m.text) prompt += count(m.text);
        if (m.toolCalls) for (const c of m.toolCalls) prompt += count(c.name) + count(c.arguments);
      } else prompt += count(m.text);
    }
    if (req.tools) prompt += count(JSON.stringify(req.tools));
  }
  return {
    promptTokens: prompt,
    completionTokens: count(relayedText),
    cachedPromptTokens: known?.cachedPromptTokens ?? 0,
    cacheWriteTokens: known?.cacheWriteTokens ?? 0,
    reasoningTokens: 0,
    estimated: true,
  };
}
