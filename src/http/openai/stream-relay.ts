import type { ServerResponse as Response } from 'node:http';
import { StreamAccumulator } from '../../canonical/accumulate.js';
import type { StreamChunk } from '../../canonical/index.js';
import type { ChatStream } from '../../upstream/call.js';
import { ClientAbortedError } from '../../errors.js';
import { toGatewayError, type GatewayError } from '../../errors.js';
import { renderChunk, type ChunkIdentity } from './render.js';
import { writeSse } from './sse-writer.js';

/** What a relayed stream produced, for usage accounting and settlement. */
export interface RelayOutcome {
  /** Everything that reached the client, reassembled (text, tool calls, finish, reported usage). */
  received: StreamAccumulator;
  /** Whether any content reached the client. */
  delivered: boolean;
  /** Set when the stream failed after it started (not yet told to the client). */
  error: GatewayError | undefined;
  clientGone: boolean;
}

function isUsageOnly(chunk: StreamChunk): boolean {
  return chunk.choices.length === 0;
}

/**
 * Relays canonical chunks to an OpenAI client as chat.completion.chunk SSE, one by one with
 * backpressure. Chunks that arrived in OpenAI format are sent as received. The provider's usage
 * chunk is held back: the caller settles first and then sends usage with the cost (and [DONE]).
 */
export async function relayToOpenAIClient(res: Response, upstream: ChatStream, ident: ChunkIdentity): Promise<RelayOutcome> {
  const out: RelayOutcome = { received: new StreamAccumulator(), delivered: false, error: undefined, clientGone: false };
  try {
    for await (const chunk of upstream.chunks()) {
      out.received.add(chunk);
      if (isUsageOnly(chunk)) continue;
      await writeSse(res, `data: ${chunk.openaiRaw ?? renderChunk(chunk, ident)}\n\n`);
      out.delivered = true;
    }
  } catch (err) {
    if (err instanceof ClientAbortedError || res.destroyed) out.clientGone = true;
    else out.error = toGatewayError(err);
  }
  return out;
}
