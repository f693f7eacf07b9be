import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Provider keys are encrypted at rest with AES-256-GCM. Stored form:
 *   "v2.<key id>.<iv b64url>.<tag b64url>.<ciphertext b64url>"
 * sealed with associated data naming the row it belongs to (see providerKeyContext), so a
 * ciphertext copied into another row does not open. Older "v1.<iv>.<tag>.<ct>" values (one key,
 * no associated data) still open, with any configured key, until they are re-sealed.
 *
 * ENCRYPTION_KEY is a keyring: comma-separated entries, each "<id>:<key>" or a bare key (its id is
 * then derived from the key). The first entry seals; every entry opens. Rotation: add the new key
 * second on every instance, then move it first (new writes use it and the start re-seals the old
 * rows), then drop the old one.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string;

  constructor(keyring: string) {
    const entries = keyring.split(',').map((e) => e.trim()).filter(Boolean);
    if (entries.length === 0) throw new Error('ENCRYPTION_KEY is empty');
    for (const entry of entries) {
      const m = /^([A-Za-z0-9_-]{1,32}):(.+)$/.exec(entry);
      const key = decodeKey(m ? m[2]! : entry);
      const id = m ? m[1]! : `k${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
      if (this.keys.has(id)) throw new Error(`ENCRYPTION_KEY names key id '${id}' twice`);
      this.keys.set(id, key);
    }
    this.currentId = this.keys.keys().next().value!;
  }

  static generateKey(): string {
    return randomBytes(32).toString('base64');
  }

  /** Seals a secret for the row `context` names (associated data, not stored). */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v2', this.currentId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  /** Opens a sealed secret; throws if it was sealed for another row, with an unknown key, or tampered with. */
  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (parts[0] === 'v2' && parts.length === 5) {
      const key = this.keys.get(parts[1]!);
      if (!key) throw new Error(`Secret sealed with key '${parts[1]}', which ENCRYPTION_KEY does not hold`);
      return decrypt(key, parts[2]!, parts[3]!, parts[4]!, context);
    }
    if (parts[0] === 'v1' && parts.length === 4) {
      let lastError: unknown;
      for (const key of this.keys.values()) {
        try {
          return decrypt(key, parts[1]!, parts[2]!, parts[3]!, null);
        } catch (err) {
          lastError = err;
        }
      }
      throw lastError;
    }
    throw new Error('Unrecognised encrypted secret format');
  }

  /** Whether a sealed value is already in the current form (v2, current key); else re-seal it. */
  isCurrent(sealed: string): boolean {
    return sealed.startsWith(`v2.${this.currentId}.`);
  }
}

/** The associated data binding a provider key's ciphertext to its row. */
export function providerKeyContext(providerId: string, keyId: string): string {
  return `provider_keys:${providerId}:${keyId}`;
}

function decrypt(key: Buffer, iv: string, tag: string, ct: string, context: string | null): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  if (context !== null) decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}

function decodeKey(encoded: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(encoded) ? Buffer.from(encoded, 'hex') : Buffer.from(encoded, 'base64');
  if (key.length !== 32) throw new Error('ENCRYPTION_KEY entries must decode to exactly 32 bytes (base64 or hex)');
  return key;
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time comparison of two secrets of any length (compares their hashes). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** The last four characters of a secret, the only part ever shown again. */
export function lastFour(secret: string): string {
  return secret.slice(-4);
}
