import type { ChatResponse, StreamChunk } from '../canonical/index.js';
import type { StreamEncoder } from '../pipeline/dialect.js';

/**
 * A stored answer as the canonical chunks a live stream of it would have carried: per choice a
 * role chunk, its thinking blocks, its text, each tool call whole, its finish. Wire formats with a stateful stream
 * encoder replay a stored answer by running these through a fresh encoder.
 */
export function chunksOf(resp: ChatResponse): StreamChunk[] {
  const out: StreamChunk[] = [];
  for (const c of resp.choices) {
    out.push({ choices: [{ index: c.index, role: 'assistant', text: '' }] });
    c.thinking?.forEach((t, block) =>
      out.push({ choices: [{ index: c.index, thinking: t.type === 'thinking' ? { block, text: t.thinking, signature: t.signature } : { block, redacted: t.data } }] }),
    );
    if (c.text) out.push({ choices: [{ index: c.index, text: c.text }] });
    if (c.refusal) out.push({ choices: [{ index: c.index, refusal: c.refusal }] });
    c.toolCalls?.forEach((t, i) => out.push({ choices: [{ index: c.index, toolCalls: [{ index: i, id: t.id, name: t.name, arguments: t.arguments }] }] }));
    out.push({ choices: [{ index: c.index, finishReason: c.finishReason }] });
  }
  return out;
}

/** The whole stream of a stored answer through `encoder`, ended with its usage and report. */
export function replayThrough(encoder: StreamEncoder, resp: ChatResponse, ...end: Parameters<StreamEncoder['end']>): string {
  let out = '';
  for (const chunk of chunksOf(resp)) out += encoder.chunk(chunk);
  return out + encoder.end(...end);
}
