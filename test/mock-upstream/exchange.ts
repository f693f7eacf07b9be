import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Fault } from './faults.js';

/** One request to the mock, as a provider simulator sees it. */
export interface MockExchange {
  /** Path after the provider prefix, e.g. "/v1/messages". */
  path: string;
  query: URLSearchParams;
  method: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  body: unknown;
  res: ServerResponse;
  /** Takes the next matching fault rule for this provider and model (call once per request). */
  takeFault(model: string): Fault | undefined;
  /** Extra latency the mock adds before answering (benchmarks). */
  latencyMs: number;
}

/** A provider simulator: answers every request under its prefix. */
export type ProviderSimulator = (ex: MockExchange) => Promise<void> | void;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function preamble(ex: MockExchange, fault: Fault | undefined): Promise<boolean> {
  if (ex.latencyMs > 0) await sleep(ex.latencyMs);
  if (fault?.type === 'slow_first_byte') await sleep(fault.ms);
  if (fault?.type === 'reset') {
    ex.res.socket?.destroy();
    return false;
  }
  return !ex.res.destroyed;
}

/** Sends a JSON answer, applying body faults (malformed JSON, a body cut half-way). */
export async function sendJson(ex: MockExchange, status: number, body: unknown, fault?: Fault, headers: Record<string, string> = {}): Promise<void> {
  if (!(await preamble(ex, fault))) return;
  let text = JSON.stringify(body);
  if (fault?.type === 'malformed') text = `{"id": "broken", "choices": [ {"unterminated": ${text.slice(0, 20)}`;
  if (fault?.type === 'cut_stream') {
    ex.res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
    ex.res.write(text.slice(0, Math.floor(text.length / 2)));
    setTimeout(() => ex.res.socket?.destroy(), 5);
    return;
  }
  ex.res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  ex.res.end(text);
}

/**
 * Sends a server-sent event stream. `events` are complete SSE blocks (each ending in a blank
 * line). Faults: cut after N events (connection destroyed), a malformed event, slow events.
 */
export async function sendSse(ex: MockExchange, events: string[], fault?: Fault, headers: Record<string, string> = {}): Promise<void> {
  if (!(await preamble(ex, fault))) return;
  ex.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
  for (let i = 0; i < events.length; i++) {
    if (ex.res.destroyed) return;
    if (fault?.type === 'cut_stream' && i >= fault.afterEvents) {
      // Let the events already written leave the corked socket first, as sendJson does.
      setTimeout(() => ex.res.socket?.destroy(), 5);
      return;
    }
    if (fault?.type === 'malformed' && i === Math.min(1, events.length - 1)) {
      ex.res.write('data: {"this is": not json\n\n');
      continue;
    }
    if (fault?.type === 'slow_events' && i > 0) await sleep(fault.ms);
    if (!ex.res.write(events[i]!)) await new Promise((r) => ex.res.once('drain', r));
  }
  ex.res.end();
}

/** Sends an error status with a provider-specific body. */
export async function sendError(ex: MockExchange, status: number, body: unknown, retryAfter?: number, extraHeaders: Record<string, string> = {}): Promise<void> {
  if (ex.latencyMs > 0) await sleep(ex.latencyMs);
  const headers: Record<string, string> = { ...extraHeaders };
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  const text = JSON.stringify(body);
  ex.res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  ex.res.end(text);
}

export function bearer(headers: IncomingHttpHeaders): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '');
  return m?.[1];
}

/** Keys the mock refuses, to exercise upstream authentication errors. */
export const REJECTED_KEYS: ReadonlySet<string> = new Set(['bad-key', 'revoked-key']);
