import type { ChatResponse, StreamChunk, Usage } from '../../canonical/index.js';
import { renderChunk, renderUsageChunk, type ChunkIdentity } from './render.js';

/**
 * A stored response sent again as a stream (Idempotency-Key repeats, cache hits): per choice a
 * role chunk, the content (text, or each tool call whole), the finish; then usage if asked.
 */
export function responseAsSse(resp: ChatResponse, ident: ChunkIdentity, usage: Usage | undefined, extra?: Record<string, unknown>): string {
  let out = '';
  const emit = (chunk: StreamChunk) => {
    out += `data: ${renderChunk(chunk, ident)}\n\n`;
  };
  for (const c of resp.choices) {
    emit({ choices: [{ index: c.index, role: 'assistant', text: '' }] });
    if (c.text) emit({ choices: [{ index: c.index, text: c.text }] });
    c.toolCalls?.forEach((t, i) => emit({ choices: [{ index: c.index, toolCalls: [{ index: i, id: t.id, name: t.name, arguments: t.arguments }] }] }));
    emit({ choices: [{ index: c.index, finishReason: c.finishReason }] });
  }
  if (usage) out += `data: ${renderUsageChunk(usage, ident, extra)}\n\n`;
  return `${out}data: [DONE]\n\n`;
}
