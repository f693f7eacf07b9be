import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, verifyPassword } from '../../../src/auth/passwords.js';

describe('admin passwords', () => {
  it('hashes with scrypt, a fresh salt each time, and the parameters kept with the hash', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', a)).toBe(false);
    expect(needsRehash(a)).toBe(false);
  });

  it('verifies a hash made with other parameters, and says it should be re-hashed when they were weaker', async () => {
    const weak = 'scrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA$' + 'x'.repeat(43);
    expect(needsRehash(weak)).toBe(true);
    expect(await verifyPassword('anything', weak)).toBe(false);
  });

  it('never matches a malformed or out-of-bounds hash', async () => {
    for (const stored of ['', 'plain', 'bcrypt$x', 'scrypt$1000$8$1$a$b', `scrypt$${2 ** 24}$8$1$YQ$YQ`]) {
      expect(await verifyPassword('x', stored)).toBe(false);
      expect(needsRehash(stored)).toBe(true);
    }
    // Today's parameters, but a hash of the wrong length.
    expect(await verifyPassword('x', 'scrypt$32768$8$1$YQ$YQ')).toBe(false);
  });
});
