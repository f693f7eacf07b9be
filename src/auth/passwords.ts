import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { RateLimitError } from '../errors.js';
import { Gate } from '../util/gate.js';

/**
 * Admin account passwords, hashed with scrypt (node:crypto) and a per-password random salt. The
 * stored form carries the parameters — "scrypt$<N>$<r>$<p>$<salt>$<hash>" (base64url) — so they
 * can be raised later without breaking existing hashes (`needsRehash` says when to re-hash on sign-in).
 */

const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/**
 * scrypt runs on libuv's thread pool (4 threads by default), which DNS lookups for upstream calls
 * share: a burst of sign-ins (guesses at many emails) must not take it over. Two hashes at a time
 * per instance, a short queue, and beyond it a 429.
 */
const kdfGate = new Gate(2, 32, () => new RateLimitError('Too many sign-ins at once; try again in a moment.', 1, {}, 'sign_in_busy'));

function scrypt(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  // 128·N·r bytes of memory; the default maxmem (32 MiB) is exactly what N = 2^15, r = 8 needs, so leave room.
  const opts: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return kdfGate.run(
    () => new Promise((resolve, reject) => scryptCb(password.normalize('NFKC'), salt, KEY_BYTES, opts, (err, key) => (err ? reject(err) : resolve(key)))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a tampered row from making one sign-in take all the memory.
  if (!Number.isInteger(Math.log2(N)) || N < 2 ** 10 || N > 2 ** 20 || !(r >= 1 && r <= 32) || !(p >= 1 && p <= 16)) return undefined;
  return { N, r, p, salt: Buffer.from(parts[4]!, 'base64url'), key: Buffer.from(parts[5]!, 'base64url') };
}

/** Checks a password against its stored hash in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed || parsed.key.length !== KEY_BYTES) return false;
  const key = await scrypt(password, parsed.salt, parsed);
  return timingSafeEqual(key, parsed.key);
}

/** True when the hash was made with weaker parameters than today's. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return !parsed || parsed.N < PARAMS.N || parsed.r < PARAMS.r || parsed.p < PARAMS.p;
}

/**
 * A hash of a random password, checked against when the email is unknown, so an unknown email
 * costs the same time as a wrong password (no account enumeration by timing).
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  return decoy;
}
