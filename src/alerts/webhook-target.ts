import { lookup, type LookupAddress } from 'node:dns';
import { lookup as lookupAsync } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent } from 'undici';

/**
 * Webhook targets must be public addresses unless WEBHOOK_ALLOW_PRIVATE is set (docs/ARCHITECTURE.md,
 * "Alerts"): otherwise anyone with the billing role could point a webhook at an internal service
 * and read its answers' statuses in the delivery log. Only ordinary unicast addresses pass:
 * loopback, private, link-local, carrier-grade NAT, unique-local, multicast, reserved and the
 * IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo) are refused.
 */

export class InternalTargetError extends Error {
  readonly code = 'EWEBHOOK_INTERNAL';
}

export function isPublicAddress(address: string): boolean {
  return ipaddr.isValid(address) && ipaddr.process(address).range() === 'unicast';
}

/** The URL's host as an address or a name (IPv6 without its brackets). */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

const refusal = (host: string) => `${host} is an internal address (loopback, private or link-local); webhook targets must be public (WEBHOOK_ALLOW_PRIVATE allows them).`;

/**
 * Why a target cannot be saved (null: it can). A name is resolved now: one that resolves to an
 * internal address is refused; one that does not resolve yet is accepted (every delivery checks
 * the address it connects to).
 */
export async function webhookTargetProblem(url: string, timeoutMs = 2_000): Promise<string | null> {
  let host: string;
  try {
    host = hostOf(new URL(url));
  } catch {
    return 'This is not a URL a webhook can be sent to.';
  }
  if (isIP(host)) return isPublicAddress(host) ? null : refusal(host);
  if (host === 'localhost' || host.endsWith('.localhost')) return refusal(host);
  let addresses: LookupAddress[];
  try {
    addresses = await Promise.race([
      lookupAsync(host, { all: true }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
  } catch {
    return null;
  }
  const internal = addresses.find((a) => !isPublicAddress(a.address));
  return internal ? refusal(host) : null;
}

/** The refusal of a target whose host is an internal address literal (a name is checked as it connects). */
export function literalTargetProblem(url: string): string | null {
  let host: string;
  try {
    host = hostOf(new URL(url));
  } catch {
    return null; // fetch refuses it with its own error
  }
  return isIP(host) && !isPublicAddress(host) ? refusal(host) : null;
}

/**
 * A name lookup that fails when any address the name resolves to is internal: the connection is
 * made to an address this check saw, so a name that resolves differently between the check and
 * the connection (DNS rebinding) cannot reach an internal one.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address))) return callback(new InternalTargetError(refusal(hostname)), '');
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

/** The HTTP agent webhook deliveries use: names resolve to public addresses only, unless private ones are allowed. */
export function webhookAgent(allowPrivate: boolean): Agent {
  return new Agent(allowPrivate ? {} : { connect: { lookup: publicOnlyLookup } });
}
