import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoadBalancer } from '../../scripts/load-balancer.js';
import { DRAIN_HEADER } from '../../src/http/lifecycle.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The balancing rules of deploy/compose/nginx.conf and scripts/load-balancer.ts, run against both:
 * only a draining replica's refusal and connection failures move a request to another replica; a
 * 503 the gateway answers for a provider (or a missing key, an open breaker…) goes to the client
 * as it is, is not replayed, and takes no replica out of rotation.
 *
 * The replicas are small stand-ins with the gateway's two behaviours that matter here (a provider's
 * 503, and the shutdown gate of src/http/lifecycle.ts, whose own test is in
 * test/integration/shutdown.test.ts).
 */
/** Debian's nginx lives in /usr/sbin, which is not on every user's PATH. */
const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
const nginxInstalled = spawnSync(NGINX, ['-v']).status === 0;

type Behaviour = 'ok' | 'provider-503' | 'draining';

interface Replica {
  name: string;
  url: string;
  port: number;
  behaviour: Behaviour;
  /** Request bodies that reached this replica (a replay shows up twice across replicas). */
  bodies: string[];
  server: Server;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

async function startReplica(name: string): Promise<Replica> {
  const replica = { name, behaviour: 'ok', bodies: [] } as unknown as Replica;
  replica.server = createServer((req, res) => {
    // /ready stays 200: the balancer's health check has not seen the drain yet (it begins between two checks).
    if (req.url === '/ready') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
    if (replica.behaviour === 'draining') {
      // What the gateway's shutdown gate does for a balancer that asks for it: no answer at all.
      if (req.headers[DRAIN_HEADER] === 'close') return void req.socket.destroy();
      return void res.writeHead(503, { 'content-type': 'application/json', connection: 'close' }).end('{"error":{"code":"shutting_down"}}');
    }
    void readBody(req).then((body) => {
      replica.bodies.push(body);
      const headers = { 'content-type': 'application/json', 'x-tollgate-instance': name };
      if (replica.behaviour === 'provider-503') {
        res.writeHead(503, { ...headers, 'retry-after': '1' }).end(JSON.stringify({ error: { message: 'The provider is unavailable.', type: 'api_error', param: null, code: 'upstream_unavailable' } }));
      } else {
        res.writeHead(200, headers).end(JSON.stringify({ served: name, body }));
      }
    });
  });
  await new Promise<void>((resolve) => replica.server.listen(0, '127.0.0.1', resolve));
  replica.port = (replica.server.address() as AddressInfo).port;
  replica.url = `http://127.0.0.1:${replica.port}`;
  return replica;
}

interface Balancer {
  url: string;
  close(): Promise<void>;
}

/** nginx with deploy/compose/nginx.conf, its replicas' host names pointed at the stand-ins. */
async function startNginx(replicas: Replica[]): Promise<Balancer> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-nginx-'));
  const port = await freePort();
  let i = 0;
  const conf = readFileSync('deploy/compose/nginx.conf', 'utf8')
    .replace(/^(\s*server\s+)gateway-\d+:8080/gm, (_, lead: string) => `${lead}127.0.0.1:${replicas[i++]!.port}`)
    .replace(/^(\s*listen\s+)8080;/m, `$1127.0.0.1:${port};`)
    // One worker: round robin state is per worker without a shared zone, and the assertions count turns.
    .replace(/^worker_processes auto;/m, 'worker_processes 1;');
  expect(i, 'every upstream server line was rewritten').toBe(replicas.length);
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  const globals = `daemon off; pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')} warn;`;
  const tested = spawnSync(NGINX, ['-t', '-q', '-e', 'stderr', '-p', dir, '-c', file, '-g', globals], { encoding: 'utf8' });
  expect(tested.status, `nginx -t: ${tested.stderr}`).toBe(0);
  const child: ChildProcess = spawn(NGINX, ['-e', 'stderr', '-p', dir, '-c', file, '-g', globals], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/lb-health`)).ok, { what: `nginx to listen (${stderr})` });
  return {
    url,
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startNode(replicas: Replica[]): Promise<Balancer> {
  // Health checks only at start: the drain below begins after the last one, as it does in life.
  const lb = await startLoadBalancer({ upstreams: replicas.map((r) => r.url), healthIntervalMs: 3_600_000 });
  return { url: lb.url, close: () => lb.close() };
}


describe.each([
  ['nginx (deploy/compose/nginx.conf)', startNginx],
  ['scripts/load-balancer.ts', startNode],
] as const)('%s', (name, start) => {
  let replicas: Replica[] = [];
  let balancer: Balancer;

  beforeAll(async () => {
    if (name.startsWith('nginx') && !nginxInstalled) throw new Error('nginx is not installed: scripts/ensure-services.sh installs it (Debian package nginx-light)');
    replicas = await Promise.all(['a', 'b', 'c'].map(startReplica));
    balancer = await start(replicas);
  });
  afterAll(async () => {
    await balancer?.close();
    await Promise.all(replicas.map((r) => new Promise((resolve) => r.server.close(resolve))));
  });

  const reset = (...behaviours: Behaviour[]) =>
    replicas.forEach((r, i) => {
      r.behaviour = behaviours[i]!;
      r.bodies = [];
    });
  const post = async (n: number) => {
    const res = await fetch(`${balancer.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
  };

  it('passes a provider’s 503 to the client as it is, never replays it, and keeps that replica in rotation', async () => {
    reset('provider-503', 'ok', 'ok');
    const answers = [];
    for (let n = 0; n < 9; n++) answers.push(await post(n));
    const failed = answers.filter((a) => a.status === 503);
    expect(failed.length).toBeGreaterThan(0);
    for (const a of failed) expect(a.body).toMatchObject({ error: { code: 'upstream_unavailable' } });
    // Every request reached exactly one replica: nothing was replayed.
    expect(replicas.flatMap((r) => r.bodies).length).toBe(9);
    expect(failed.length).toBe(replicas[0]!.bodies.length);
    // Round robin kept giving the replica its turn: a third of the requests, not one and then none.
    expect(replicas[0]!.bodies.length).toBe(3);
  });

  it('moves a request a draining replica refuses to another replica, POST body included', async () => {
    reset('draining', 'ok', 'ok');
    for (let n = 0; n < 6; n++) {
      const a = await post(n);
      expect(a.status).toBe(200);
      expect(a.body.served).not.toBe('a');
      expect(JSON.parse(a.body.body as string)).toEqual({ n });
    }
    expect(replicas[1]!.bodies.length + replicas[2]!.bodies.length).toBe(6);
  });

  it('answers a clear 503 with Retry-After in the OpenAI error shape when no replica takes the request', async () => {
    reset('draining', 'draining', 'draining');
    const a = await post(0);
    expect(a.status).toBe(503);
    expect(a.headers.get('retry-after')).toBe('1');
    expect(a.body).toMatchObject({ error: { type: 'api_error', code: 'no_replica' } });
    expect(typeof a.body.error.message).toBe('string');
  });
});
