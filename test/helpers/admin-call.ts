import { TEST_ADMIN_TOKEN } from './env.js';

/** One admin API call on the gateway (or balancer) at `baseUrl`, as the bootstrap token; throws on any non-2xx. */
export async function adminCall(baseUrl: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${baseUrl}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`admin ${method} ${path} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}
