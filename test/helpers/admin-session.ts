/** Signing in to the admin API as a named account, as the panel does (session cookie + X-Requested-With). */

export interface AdminAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** The session cookie from a sign-in answer ("name=value"), or undefined. */
export function sessionCookieOf(headers: Headers): string | undefined {
  const set = headers.getSetCookie().find((c) => c.startsWith('tollgate_admin_session='));
  return set?.split(';')[0];
}

export async function adminCall(baseUrl: string, method: string, path: string, opts: { cookie?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<AdminAnswer> {
  const res = await fetch(`${baseUrl}/admin/api${path}`, {
    method,
    headers: {
      'x-requested-with': 'tollgate-admin',
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json');
  return { status: res.status, headers: res.headers, body: text ? (json ? JSON.parse(text) : text) : undefined };
}

/** Signs in and returns the session cookie to send back; throws with the answer when sign-in fails. */
export async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await adminCall(baseUrl, 'POST', '/session', { body: { email, password } });
  const cookie = sessionCookieOf(res.headers);
  if (res.status !== 200 || !cookie) throw new Error(`sign-in as ${email} → ${res.status}: ${JSON.stringify(res.body)}`);
  return cookie;
}
