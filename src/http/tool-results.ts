import type { Message } from '../canonical/index.js';
import { InvalidRequestError } from '../errors.js';

/**
 * Every tool result must answer a tool call made earlier in the conversation (every provider
 * rejects an orphan result; saying so here names the ingress's own field). `where(i)` names the
 * i-th message in the wire format.
 */
export function checkToolResults(messages: Message[], where: (i: number) => string): void {
  const seen = new Set<string>();
  messages.forEach((m, i) => {
    if (m.role === 'assistant' && m.toolCalls) for (const c of m.toolCalls) seen.add(c.id);
    if (m.role === 'tool' && !seen.has(m.toolCallId)) {
      throw new InvalidRequestError(`${where(i)}: the tool result for '${m.toolCallId}' does not answer any earlier tool call.`, { param: where(i) });
    }
  });
}
