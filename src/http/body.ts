import type { IncomingMessage } from 'node:http';
import { ClientAbortedError, InvalidRequestError, PayloadTooLargeError } from '../errors.js';
import { checkJsonBody } from './json-limits.js';

/**
 * Reads and parses a JSON request body, refusing anything over `limit` bytes (by Content-Length
 * up front, or by counting as it arrives) with a 413, and anything nested too deep or holding a
 * NUL character with a 400.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    throw new PayloadTooLargeError(limit);
  }
  const { chunks, size } = await readChunks(req, limit);
  if (size === 0) throw new InvalidRequestError('The request body is empty; send a JSON object.', { code: 'invalid_json' });
  const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError(`We could not parse the JSON body of your request: ${(err as Error).message}`, { code: 'invalid_json' });
  }
  checkJsonBody(body, text.includes('\\u0000'));
  return body;
}

/**
 * The body's chunks, by the stream's events (an async iterator costs a promise and several
 * objects per chunk). A client that goes away before the body is complete is a ClientAbortedError.
 */
function readChunks(req: IncomingMessage, limit: number): Promise<{ chunks: Buffer[]; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    if (req.readableEnded) return resolve({ chunks, size });
    const done = (err?: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      if (err) reject(err);
      else resolve({ chunks, size });
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done(new PayloadTooLargeError(limit));
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => done();
    const onGone = () => done(new ClientAbortedError());
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onGone);
    req.once('close', onGone);
  });
}
