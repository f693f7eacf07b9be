import type { AdminSession } from './types';

/** The admin REST API (/admin/api), called with the session cookie or the admin token. */

const TOKEN_KEY = 'tollgate.adminToken';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The field the error is about, as a path ("price.inputPerMtok"), when the API names one. */
    readonly param: string | null,
    readonly code: string | null,
  ) {
    super(message);
  }
}

/**
 * Who is signed in. A named account signs in with email and password: the gateway sets an
 * HttpOnly session cookie the panel never sees. The admin token (first start, automation) is kept
 * in this tab (or this device, when asked) and sent as a bearer token. `me` is undefined until the
 * gateway has said who the caller is, null when nobody is signed in.
 */
let token: string | null = sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY);
let me: AdminSession | null | undefined;
const listeners = new Set<() => void>();
const changed = () => listeners.forEach((l) => l());

function forgetToken(): void {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
}

export const session = {
  get me(): AdminSession | null | undefined {
    return me;
  },
  /** Asks the gateway who this is (cookie or kept token); called once when the panel opens. */
  async load(): Promise<void> {
    try {
      me = await api<AdminSession>('GET', '/session');
    } catch {
      me = null;
    }
    changed();
  },
  /** Signs in with the admin token, checked against the API before it is kept. */
  async signInWithToken(value: string, remember: boolean): Promise<void> {
    const who = await api<AdminSession>('GET', '/session', undefined, value);
    token = value;
    (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, value);
    me = who;
    changed();
  },
  async signIn(email: string, password: string): Promise<void> {
    forgetToken();
    me = await api<AdminSession>('POST', '/session', { email, password });
    changed();
  },
  /** Signs out; an account's session ends on the gateway first (so a reload cannot bring it back). */
  async signOut(): Promise<void> {
    if (me?.kind === 'account') await api('DELETE', '/session').catch(() => undefined);
    forgetToken();
    me = null;
    changed();
  },
  /** The gateway no longer accepts this session or token. */
  expired(): void {
    forgetToken();
    me = null;
    changed();
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

/**
 * Calls the admin API; throws ApiError with the API's message and `param`. A 401 signs out.
 * X-Requested-With goes on every call: the gateway refuses cookie-authenticated writes without it
 * (another site's form or fetch cannot add it).
 */
export async function api<T = unknown>(method: string, path: string, body?: unknown, authToken = token): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/admin/api${path}`, {
      method,
      headers: {
        'x-requested-with': 'tollgate-admin',
        ...(authToken ? { authorization: `Bearer ${authToken}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError(0, 'Could not reach the gateway. Check your connection and try again.', null, 'network');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { message?: string; param?: string | null; code?: string | null } } | undefined)?.error;
    if (res.status === 401 && authToken === token && me) session.expired();
    throw new ApiError(res.status, e?.message ?? `The gateway answered ${res.status}.`, e?.param ?? null, e?.code ?? null);
  }
  return json as T;
}

/**
 * Downloads a file the admin API streams (a CSV export) and hands it to the browser as a download,
 * under the name the API gives it.
 */
export async function download(path: string, authToken = token): Promise<void> {
  let res: Response;
  try {
    // Under a signed-in account the session cookie is the credential: an Authorization header
    // (even an empty one) would be read as a token attempt and refused.
    res = await fetch(`/admin/api${path}`, {
      headers: { 'x-requested-with': 'tollgate-admin', ...(authToken ? { authorization: `Bearer ${authToken}` } : {}) },
    });
  } catch {
    throw new ApiError(0, 'Could not reach the gateway. Check your connection and try again.', null, 'network');
  }
  if (!res.ok) {
    const e = ((await res.json().catch(() => undefined)) as { error?: { message?: string; param?: string | null; code?: string | null } } | undefined)?.error;
    if (res.status === 401 && authToken === token && me) session.expired();
    throw new ApiError(res.status, e?.message ?? `The gateway answered ${res.status}.`, e?.param ?? null, e?.code ?? null);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'export.csv';
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
