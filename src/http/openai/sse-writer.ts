import { once } from 'node:events';
import type { ServerResponse as Response } from 'node:http';
import { ClientAbortedError, type GatewayError } from '../../errors.js';
import { openAIErrorBody } from '../errors.js';

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/** Writes with backpressure: waits for 'drain' when the socket buffer is full. */
export async function writeSse(res: Response, text: string): Promise<void> {
  if (res.destroyed) throw new ClientAbortedError();
  if (!res.write(text)) {
    await Promise.race([once(res, 'drain'), once(res, 'close')]);
    if (res.destroyed) throw new ClientAbortedError();
  }
}

export function endSseWithDone(res: Response): void {
  if (res.destroyed) return;
  res.end('data: [DONE]\n\n');
}

/** A failure after the stream started: an OpenAI error event (the SDKs raise it), then the end. */
export function endSseWithError(res: Response, err: GatewayError): void {
  if (res.destroyed) return;
  res.end(`data: ${JSON.stringify(openAIErrorBody(err))}\n\n`);
}
