import { createServer, request, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientAbortedError, PayloadTooLargeError } from '../../../src/errors.js';
import { readJsonBody } from '../../../src/http/body.js';

/** A real HTTP server whose handler hands each request's body reading outcome to the test. */
let url: string;
const outcomes: Promise<unknown>[] = [];
let arrived: () => void = () => undefined;
const server = createServer((req: IncomingMessage, res) => {
  const read = readJsonBody(req, 1_000);
  outcomes.push(read);
  arrived();
  read.then(
    () => res.end('ok'),
    () => res.destroyed || res.end('no'),
  );
});
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

function send(chunks: string[], opts: { thenAbort?: boolean } = {}): Promise<unknown> {
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } });
  req.on('error', () => undefined);
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  for (const c of chunks) req.write(c);
  // Aborted once the server is reading the body, so the read sees it stop half way.
  if (opts.thenAbort) void arrival.then(() => req.destroy());
  else req.end();
  return arrival.then(() => outcomes.at(-1)!.catch((e: unknown) => e));
}

describe('reading a JSON body', () => {
  it('assembles a body sent in many pieces', async () => {
    const read = await send(['{"a":', '[1,2,', '3],"b":"', 'x'.repeat(100), '"}']);
    expect(read).toEqual({ a: [1, 2, 3], b: 'x'.repeat(100) });
  });

  it('refuses a body over the limit while it arrives (no Content-Length)', async () => {
    expect(await send(['{"a":"', 'y'.repeat(600), 'y'.repeat(600), '"}'])).toBeInstanceOf(PayloadTooLargeError);
  });

  it('a client gone before its body is complete is a ClientAbortedError, not an internal error', async () => {
    expect(await send(['{"a":"half a bo'], { thenAbort: true })).toBeInstanceOf(ClientAbortedError);
  });
});
