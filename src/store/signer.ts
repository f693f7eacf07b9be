import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** What opening a sealed value found: the value, or why it must not be used. */
export type Opened = { ok: true; value: string } | { ok: false; reason: 'forged' | 'expired' };

const FORMAT = 's1';
const FORGED: Opened = { ok: false, reason: 'forged' };
const EXPIRED: Opened = { ok: false, reason: 'expired' };

/**
 * Seals values that leave the process through a store other instances read (Redis) with an
 * HMAC-SHA256 tag under a key that store never sees, so whoever can write to it cannot forge or
 * move what the gateway will believe. The tag covers the value, the name it is stored under (a
 * verdict copied under another key's name, or from an older version's name, is rejected) and an
 * optional expiry (a value re-written without its TTL does not live longer).
 *
 * Sealed form: "s1.<expiry ms or empty>.<tag base64url>.<value>".
 */
export class Signer {
  private readonly key: Buffer;

  /**
   * `material` is secret key material (the ENCRYPTION_KEY); `purpose` labels the derived key, so
   * this MAC key is independent of the encryption key and of any other key derived from it.
   */
  constructor(material: Buffer, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), purpose, 32));
  }

  seal(name: string, value: string, expiresAtMs?: number): string {
    const exp = expiresAtMs === undefined ? '' : String(Math.ceil(expiresAtMs));
    return `${FORMAT}.${exp}.${this.tag(name, exp, value)}.${value}`;
  }

  open(name: string, sealed: string, now = Date.now()): Opened {
    const a = sealed.indexOf('.');
    const b = sealed.indexOf('.', a + 1);
    const c = sealed.indexOf('.', b + 1);
    if (a < 0 || b < 0 || c < 0 || sealed.slice(0, a) !== FORMAT) return FORGED;
    const exp = sealed.slice(a + 1, b);
    const value = sealed.slice(c + 1);
    const given = Buffer.from(sealed.slice(b + 1, c), 'base64url');
    const expected = Buffer.from(this.tag(name, exp, value), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return FORGED;
    if (exp !== '' && Number(exp) <= now) return EXPIRED;
    return { ok: true, value };
  }

  /**
   * NUL separates the fields: names and expiries never contain one, so no two inputs collide.
   * One update of the joined text costs less than one per field.
   */
  private tag(name: string, exp: string, value: string): string {
    return createHmac('sha256', this.key).update(`${name}\0${exp}\0${value}`).digest('base64url');
  }
}
