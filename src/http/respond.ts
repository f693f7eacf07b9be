import type { ServerResponse as Response } from 'node:http';

/**
 * Writes a JSON body that is already text, in one writeHead + end. The hot path uses this
 * instead of express's res.send, which spends time on ETags, freshness and charset handling
 * that an API response does not need.
 */
export function sendJsonText(res: Response, status: number, body: string, headers?: Record<string, string>): void {
  const h: Record<string, string | number> = headers ? { ...headers } : {};
  h['content-type'] = 'application/json; charset=utf-8';
  h['content-length'] = Buffer.byteLength(body);
  res.writeHead(status, h);
  res.end(body);
}
