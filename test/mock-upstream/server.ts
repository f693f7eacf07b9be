import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MockExchange, ProviderSimulator } from './exchange.js';
import { FaultBook, type FaultRule } from './faults.js';
import { anthropicSimulator } from './anthropic.js';
import { geminiSimulator } from './gemini.js';
import { mistralSimulator, openaiSimulator } from './openai.js';

/**
 * The provider simulator used by tests and the benchmark: one HTTP server, one path prefix per
 * provider, each speaking that provider's real wire format. Base URLs to configure:
 *   openai    → <url>/openai/v1       anthropic → <url>/anthropic/v1
 *   gemini    → <url>/gemini/v1beta    mistral   → <url>/mistral/v1
 * Control API: POST /_mock/faults (a FaultRule or a list), DELETE /_mock/faults,
 * GET /_mock/requests (recent requests received), DELETE /_mock/requests.
 */

const SIMULATORS: Record<string, ProviderSimulator> = {
  openai: openaiSimulator,
  anthropic: anthropicSimulator,
  gemini: geminiSimulator,
  mistral: mistralSimulator,
};

/** The API key a request carries, however its provider sends it. */
function requestKey(headers: IncomingMessage['headers'], url: URL): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
  const h = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : undefined);
  return bearer ?? h('x-api-key') ?? h('x-goog-api-key') ?? url.searchParams.get('key') ?? undefined;
}

export interface RecordedRequest {
  provider: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  at: number;
}

export interface MockUpstream {
  url: string;
  server: Server;
  faults: FaultBook;
  /** The most recent requests (newest last), up to `recordLimit`. */
  requests: RecordedRequest[];
  baseUrl(provider: 'openai' | 'anthropic' | 'gemini' | 'mistral'): string;
  close(): Promise<void>;
}

export interface MockOptions {
  port?: number;
  host?: string;
  /** Added before every answer (benchmarks). */
  latencyMs?: number;
  /** How many requests to keep for inspection (0 disables recording, e.g. in benchmarks). */
  recordLimit?: number;
}

export const BASE_PATHS = { openai: '/openai/v1', anthropic: '/anthropic/v1', gemini: '/gemini/v1beta', mistral: '/mistral/v1' } as const;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startMockUpstream(opts: MockOptions = {}): Promise<MockUpstream> {
  const faults = new FaultBook();
  const requests: RecordedRequest[] = [];
  const recordLimit = opts.recordLimit ?? 200;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://mock');
    const rawBody = await readBody(req);
    if (url.pathname.startsWith('/_mock/')) return control(url.pathname, req.method ?? 'GET', rawBody, res);

    const [, provider = '', ...rest] = url.pathname.split('/');
    const simulator = SIMULATORS[provider];
    if (!simulator) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `mock: unknown provider prefix '${provider}'` } }));
      return;
    }
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    if (recordLimit > 0) {
      requests.push({ provider, method: req.method ?? 'GET', path: `/${rest.join('/')}${url.search}`, headers: req.headers, body, at: Date.now() });
      if (requests.length > recordLimit) requests.splice(0, requests.length - recordLimit);
    }
    const ex: MockExchange = {
      path: `/${rest.join('/')}`,
      query: url.searchParams,
      method: req.method ?? 'GET',
      headers: req.headers,
      rawBody,
      body,
      res,
      takeFault: (model) => faults.take(provider, model, rawBody, requestKey(req.headers, url)),
      latencyMs: opts.latencyMs ?? 0,
    };
    await simulator(ex);
  };

  const control = (path: string, method: string, rawBody: string, res: ServerResponse) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/_mock/faults' && method === 'POST') {
      const rules = JSON.parse(rawBody) as FaultRule | FaultRule[];
      for (const r of Array.isArray(rules) ? rules : [rules]) faults.add(r);
      return reply(200, { ok: true });
    }
    if (path === '/_mock/faults' && method === 'DELETE') {
      faults.clear();
      return reply(200, { ok: true });
    }
    if (path === '/_mock/requests' && method === 'GET') return reply(200, { data: requests });
    if (path === '/_mock/requests' && method === 'DELETE') {
      requests.length = 0;
      return reply(200, { ok: true });
    }
    return reply(404, { error: 'unknown control route' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `mock crashed: ${(err as Error).message}` } }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  return {
    url,
    server,
    faults,
    requests,
    baseUrl: (p) => `${url}${BASE_PATHS[p]}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
