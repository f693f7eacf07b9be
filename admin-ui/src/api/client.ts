/** The admin REST API (/admin/api), authenticated with the admin token the operator signed in with. */

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

let token: string | null = sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY);
const listeners = new Set<() => void>();

export const session = {
  get token(): string | null {
    return token;
  },
  signIn(value: string, remember: boolean): void {
    token = value;
    (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, value);
    listeners.forEach((l) => l());
  },
  signOut(): void {
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(TOKEN_KEY);
    listeners.forEach((l) => l());
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

/** Calls the admin API; throws ApiError with the API's message and `param`. A 401 signs out. */
export async function api<T = unknown>(method: string, path: string, body?: unknown, authToken = token): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/admin/api${path}`, {
      method,
      headers: { authorization: `Bearer ${authToken ?? ''}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
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
    if (res.status === 401 && authToken === token && token !== null) session.signOut();
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
    res = await fetch(`/admin/api${path}`, { headers: { authorization: `Bearer ${authToken ?? ''}` } });
  } catch {
    throw new ApiError(0, 'Could not reach the gateway. Check your connection and try again.', null, 'network');
  }
  if (!res.ok) {
    const e = ((await res.json().catch(() => undefined)) as { error?: { message?: string; param?: string | null; code?: string | null } } | undefined)?.error;
    if (res.status === 401 && authToken === token && token !== null) session.signOut();
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
