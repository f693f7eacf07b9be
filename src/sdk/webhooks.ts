import { WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from './admin-api/alerts.js';

export interface VerifyWebhookOptions {
  /** Deliveries signed longer ago than this are refused (replays); default 300 seconds. */
  toleranceSeconds?: number;
  /** The current time in milliseconds (tests). */
  now?: number;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : record[key];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Whether a webhook delivery (an alert) comes from this gateway: its `x-tollgate-signature` is
 * `v1=` + the hex HMAC-SHA256 of "<x-tollgate-timestamp>.<raw body>" with the webhook's signing
 * secret, and the timestamp is recent. Pass the body exactly as received (before JSON parsing).
 * Web Crypto only, so it runs in Node and in edge runtimes.
 */
export async function verifyWebhook(secret: string, rawBody: string, headers: HeaderSource, opts: VerifyWebhookOptions = {}): Promise<boolean> {
  const timestamp = header(headers, WEBHOOK_TIMESTAMP_HEADER);
  const signature = header(headers, WEBHOOK_SIGNATURE_HEADER);
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  const now = (opts.now ?? Date.now()) / 1000;
  if (Math.abs(now - Number(timestamp)) > (opts.toleranceSeconds ?? 300)) return false;
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(`${timestamp}.${rawBody}`)));
  const expected = `v1=${Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  if (expected.length !== signature.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ signature.charCodeAt(i);
  return diff === 0;
}
