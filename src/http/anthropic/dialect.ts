import type { ChatResponse, ChoiceDelta } from '../../canonical/index.js';
import type { ChatDialect } from '../../pipeline/dialect.js';
import { anthropicError } from './errors.js';
import { parseMessagesRequest } from './parse.js';
import { renderMessage } from './render.js';
import { AnthropicStreamEncoder } from './stream.js';

/** A stored answer as the chunks a stream of it would have carried: thinking, text, each tool call whole, the finish. */
function answerAsChunks(resp: ChatResponse): ChoiceDelta[] {
  const c = resp.choices[0];
  if (!c) return [{ index: 0, finishReason: 'stop' }];
  const out: ChoiceDelta[] = [];
  c.thinking?.forEach((t, block) =>
    out.push({ index: 0, thinking: t.type === 'thinking' ? { block, text: t.thinking, signature: t.signature } : { block, redacted: t.data } }),
  );
  if (c.text) out.push({ index: 0, text: c.text });
  c.toolCalls?.forEach((t, i) => out.push({ index: 0, toolCalls: [{ index: i, id: t.id, name: t.name, arguments: t.arguments }] }));
  out.push({ index: 0, finishReason: c.finishReason, ...(c.stopSequence ? { stopSequence: c.stopSequence } : {}) });
  return out;
}

/** Anthropic Messages: message bodies and Anthropic's event stream, Anthropic's error shape and statuses. */
export const anthropicMessages: ChatDialect = {
  endpoint: 'messages',
  parse: (body, _path, headers) => parseMessagesRequest(body, headers),
  identity: (requestId, startedAt, model) => ({ id: `msg_${requestId}`, created: Math.floor(startedAt / 1000), model }),
  response: (resp, usage, ident) => renderMessage(resp, usage, ident),
  openStream: (_req, ident) => new AnthropicStreamEncoder(ident),
  replay: (_req, resp, usage, ident, report) => {
    const encoder = new AnthropicStreamEncoder(ident);
    let out = '';
    for (const d of answerAsChunks(resp)) out += encoder.chunk({ choices: [d] });
    return out + encoder.end(usage, report);
  },
  error: anthropicError,
};
