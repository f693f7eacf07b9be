import { createServer } from 'node:http';
import { Pool } from 'undici';

/**
 * The calibration point of the benchmark: a bare pass-through (read the body, parse the JSON,
 * forward it with undici, parse the answer, re-serialise it). Run pinned to the gateway's core,
 * it shows what this machine allows before any gateway work.
 */
const upstream = new Pool(process.env.UPSTREAM ?? 'http://127.0.0.1:18090', { connections: 256 });
const server = createServer(async (req, res) => {
  if (req.method !== 'POST') return void res.end('ok');
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  body.model = 'gpt-4o-mini';
  const up = await upstream.request({ method: 'POST', path: '/openai/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: 'Bearer bench-upstream-key' }, body: JSON.stringify(body) });
  const answer = JSON.stringify(await up.body.json());
  res.writeHead(up.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
  res.end(answer);
});
server.listen(Number(process.env.PORT ?? 18081), '127.0.0.1');
