import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { providerKeyContext, SecretBox } from '../../../src/store/secrets.js';

const K1 = SecretBox.generateKey();
const K2 = SecretBox.generateKey();

/** A ciphertext in the form written before keys had ids and row binding. */
function sealV1(keyB64: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(keyB64, 'base64'), iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

describe('SecretBox', () => {
  const rowA = providerKeyContext('openai', '1');
  const rowB = providerKeyContext('openai', '2');

  it('opens a secret only for the row it was sealed for', () => {
    const box = new SecretBox(`main:${K1}`);
    const sealed = box.seal('sk-secret', rowA);
    expect(sealed).toMatch(/^v2\.main\./);
    expect(box.open(sealed, rowA)).toBe('sk-secret');
    expect(() => box.open(sealed, rowB)).toThrow();
    expect(() => box.open(sealed, providerKeyContext('anthropic', '1'))).toThrow();
  });

  it('seals with the first key of the ring and opens with any of them', () => {
    const old = new SecretBox(`old:${K1}`);
    const ring = new SecretBox(`new:${K2},old:${K1}`);
    const sealedOld = old.seal('sk-old', rowA);
    expect(ring.open(sealedOld, rowA)).toBe('sk-old');
    expect(ring.isCurrent(sealedOld)).toBe(false);
    const sealedNew = ring.seal('sk-new', rowA);
    expect(sealedNew).toMatch(/^v2\.new\./);
    expect(ring.isCurrent(sealedNew)).toBe(true);
    expect(() => old.open(sealedNew, rowA)).toThrow(/'new'/);
  });

  it('still opens v1 ciphertexts, with a bare key or a ring that holds it', () => {
    const v1 = sealV1(K1, 'sk-legacy');
    expect(new SecretBox(K1).open(v1, rowA)).toBe('sk-legacy');
    expect(new SecretBox(`new:${K2},${K1}`).open(v1, rowB)).toBe('sk-legacy');
    expect(new SecretBox(K1).isCurrent(v1)).toBe(false);
    expect(() => new SecretBox(K2).open(v1, rowA)).toThrow();
  });

  it('refuses a malformed keyring', () => {
    expect(() => new SecretBox('a:short')).toThrow(/32 bytes/);
    expect(() => new SecretBox(`a:${K1},a:${K2}`)).toThrow(/twice/);
    expect(() => new SecretBox(' , ')).toThrow(/empty/);
  });
});
