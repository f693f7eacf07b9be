import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DRAIN_HEADER } from '../src/http/lifecycle.js';

/**
 * A small round-robin HTTP load balancer for the local cluster (scripts/cluster.ts): what
 * deploy/compose/nginx.conf does for `docker compose up`, in Node so the test suite needs nothing
 * more. It keeps the same rules:
 *
 * - Upstreams are health-checked on `GET /ready` every `healthIntervalMs`; a failing one gets no
 *   new requests until it answers 200 again (a draining gateway answers 503 at once).
 * - Request bodies are read whole before they are sent (bounded by `maxBodyBytes`), so a request
 *   can be replayed; responses are streamed as they arrive, never buffered (SSE).
 * - A request is tried on the next upstream only when the connection fails, at most `tries`
 *   upstreams, and that upstream gets no new requests until its health check passes again. The
 *   balancer sends `x-tollgate-drain: close`, so a draining gateway refuses by closing the
 *   connection before doing any work: that is such a failure. Any answer, a 503 included (a
 *   provider that stayed unavailable, an open breaker…), goes to the client as it is, and the
 *   upstream stays in rotation. nginx does the same with `proxy_next_upstream error timeout
 *   non_idempotent` (docs/ARCHITECTURE.md, "Load balancing and the drain").
 * - When no upstream takes a request, the client gets a 503 with `Retry-After` in the OpenAI error
 *   shape (code `no_replica`), as from nginx.
 */
export interface LoadBalancerOptions {
  upstreams: string[];
  port?: number;
  host?: string;
  healthPath?: string;
  healthIntervalMs?: number;
  tries?: number;
  maxBodyBytes?: number;
}

export interface LoadBalancer {
  url: string;
  /** The upstreams the last health checks found ready. */
  healthy(): string[];
  /** Runs one round of health checks now. */
  checkHealth(): Promise<void>;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function startLoadBalancer(opts: LoadBalancerOptions): Promise<LoadBalancer> {
  const upstreams = opts.upstreams.map((u) => new URL(u));
  const healthPath = opts.healthPath ?? '/ready';
  const tries = Math.min(opts.tries ?? 2, upstreams.length);
  const maxBodyBytes = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const ready = new Set<string>(upstreams.map((u) => u.origin));
  let next = 0;

  const checkOne = async (u: URL) => {
    try {
      const res = await fetch(new URL(healthPath, u), { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) ready.add(u.origin);
      else ready.delete(u.origin);
    } catch {
      ready.delete(u.origin);
    }
  };
  const checkHealth = async () => void (await Promise.all(upstreams.map(checkOne)));
  await checkHealth();
  const timer = setInterval(() => void checkHealth(), opts.healthIntervalMs ?? 1_000);
  timer.unref();

  /** The next ready upstream in turn, skipping those already tried for this request. */
  const pick = (tried: Set<string>): URL | undefined => {
    for (let i = 0; i < upstreams.length; i++) {
      const u = upstreams[next++ % upstreams.length]!;
      if (ready.has(u.origin) && !tried.has(u.origin)) return u;
    }
    return undefined;
  };

  const forward = (u: URL, req: IncomingMessage, body: Buffer, clientAddress: string) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const headers = endToEnd(req.headers);
      const forwardedFor = req.headers['x-forwarded-for'];
      headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${clientAddress}` : clientAddress;
      headers['x-forwarded-proto'] = 'http';
      headers[DRAIN_HEADER] = 'close';
      headers['content-length'] = String(body.length);
      const upstreamReq = httpRequest({ host: u.hostname, port: u.port, method: req.method, path: req.url, headers, agent }, resolve);
      upstreamReq.on('error', reject);
      upstreamReq.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLarge) res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end('request body too large\n');
      else res.destroy();
      return;
    }
    const tried = new Set<string>();
    for (let attempt = 0; attempt < tries; attempt++) {
      const u = pick(tried);
      if (!u) break;
      tried.add(u.origin);
      let upstreamRes: IncomingMessage;
      try {
        upstreamRes = await forward(u, req, body, req.socket.remoteAddress ?? '');
      } catch {
        ready.delete(u.origin);
        continue;
      }
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, endToEnd(upstreamRes.headers));
      // Headers go out at once and every chunk as it arrives: a stream's first event is not held back.
      res.flushHeaders();
      upstreamRes.pipe(res);
      upstreamRes.once('error', () => res.destroy());
      res.once('close', () => {
        if (!upstreamRes.complete) upstreamRes.destroy();
      });
      return;
    }
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(
      JSON.stringify({ error: { message: 'No gateway instance is available; retry shortly.', type: 'api_error', param: null, code: 'no_replica' } }),
    );
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`,
    healthy: () => upstreams.filter((u) => ready.has(u.origin)).map((u) => u.origin),
    checkHealth,
    close: async () => {
      clearInterval(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      agent.destroy();
    },
  };
}
