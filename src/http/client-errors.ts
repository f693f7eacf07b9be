import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError, InvalidRequestError } from '../errors.js';
import { httpStatusOf, openAIErrorBody } from './errors.js';

/**
 * What Node's HTTP parser refuses before a request exists (headers too large, a malformed
 * request line) still gets an answer in the OpenAI error shape, then the connection closes.
 */
export function onClientError(err: Error & { code?: string }, socket: Socket): void {
  // The request may already be in a handler (a body that never finished): answer it all the
  // same, unless its response has begun.
  const res = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (!socket.writable || res?.headersSent) {
    socket.destroy();
    return;
  }
  const e =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new GatewayError('invalid_request', 'The request headers are too large.', { code: 'headers_too_large' })
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new GatewayError('timeout', 'The request was not received in time.', { code: 'request_timeout' })
        : new InvalidRequestError('The request could not be parsed as HTTP.', { code: 'bad_request' });
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : httpStatusOf(e);
  const body = JSON.stringify(openAIErrorBody(e));
  socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
