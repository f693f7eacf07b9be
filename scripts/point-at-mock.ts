import { BASE_PATHS } from '../test/mock-upstream/server.js';

/**
 * Points every provider of a running gateway's catalogue at the provider simulator
 * (test/mock-upstream) and gives each one a key if it has none, so a cluster started without real
 * provider keys answers requests. Used by scripts/cluster.ts and by the `mock` profile of
 * compose.yaml. Never point a production gateway at the simulator.
 *
 * CLI: TOLLGATE_URL=http://localhost:8080 ADMIN_TOKEN=… MOCK_URL=http://localhost:9090 npx tsx scripts/point-at-mock.ts
 */
interface ProviderRow {
  id: string;
  kind: keyof typeof BASE_PATHS;
  baseUrl: string;
  keys: Array<{ enabled: boolean }>;
}

export async function pointProvidersAtMock(gatewayUrl: string, adminToken: string, mockUrl: string): Promise<string[]> {
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${gatewayUrl}/admin/api${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`admin ${method} ${path} → ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const { data } = await admin<{ data: ProviderRow[] }>('GET', '/providers');
  const pointed: string[] = [];
  for (const p of data) {
    const baseUrl = `${mockUrl.replace(/\/$/, '')}${BASE_PATHS[p.kind]}`;
    if (p.baseUrl !== baseUrl) await admin('PATCH', `/providers/${p.id}`, { baseUrl });
    if (!p.keys.some((k) => k.enabled)) await admin('POST', `/providers/${p.id}/keys`, { secret: `mock-${p.id}-key-0001`, label: 'simulator' });
    pointed.push(p.id);
  }
  return pointed;
}

/** Waits until the gateway answers /ready (compose starts this next to it). */
async function waitReady(url: string, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url}/ready did not answer 200 within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

if (process.argv[1] && /point-at-mock\.(ts|js)$/.test(process.argv[1])) {
  const gatewayUrl = process.env.TOLLGATE_URL ?? 'http://localhost:8080';
  const adminToken = process.env.ADMIN_TOKEN;
  const mockUrl = process.env.MOCK_URL ?? 'http://localhost:9090';
  if (!adminToken) {
    process.stderr.write('point-at-mock: set ADMIN_TOKEN\n');
    process.exit(1);
  }
  await waitReady(gatewayUrl, 120_000);
  const ids = await pointProvidersAtMock(gatewayUrl, adminToken, mockUrl);
  process.stdout.write(`providers pointed at ${mockUrl}: ${ids.join(', ') || '(none in the catalogue)'}\n`);
}
