import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Signer } from '../../../src/store/signer.js';

const material = randomBytes(32);
const signer = new Signer(material, 'test purpose');

describe('Signer', () => {
  it('opens what it sealed, under the same name', () => {
    expect(signer.open('key:1:abc', signer.seal('key:1:abc', '{"ok":true}'))).toEqual({ ok: true, value: '{"ok":true}' });
    expect(signer.open('n', signer.seal('n', ''))).toEqual({ ok: true, value: '' });
    expect(signer.open('n', signer.seal('n', 'a.b.c\0d'))).toEqual({ ok: true, value: 'a.b.c\0d' });
  });

  it('rejects a changed value, a value moved to another name, and a changed expiry', () => {
    const sealed = signer.seal('key:1:abc', '{"ok":true}', Date.now() + 60_000);
    expect(signer.open('key:1:abc', sealed.replace('true', 'false'))).toEqual({ ok: false, reason: 'forged' });
    expect(signer.open('key:1:xyz', sealed)).toEqual({ ok: false, reason: 'forged' });
    expect(signer.open('key:2:abc', sealed)).toEqual({ ok: false, reason: 'forged' });
    const [format, , tag, ...value] = sealed.split('.');
    expect(signer.open('key:1:abc', [format, '', tag, ...value].join('.'))).toEqual({ ok: false, reason: 'forged' });
  });

  it('rejects what it did not seal: plain values, another key, another purpose', () => {
    expect(signer.open('n', '{"ok":true}')).toEqual({ ok: false, reason: 'forged' });
    expect(signer.open('n', 's1..x.{}')).toEqual({ ok: false, reason: 'forged' });
    expect(signer.open('n', new Signer(randomBytes(32), 'test purpose').seal('n', 'v'))).toEqual({ ok: false, reason: 'forged' });
    expect(signer.open('n', new Signer(material, 'another purpose').seal('n', 'v'))).toEqual({ ok: false, reason: 'forged' });
  });

  it('treats a value past its expiry as expired', () => {
    const sealed = signer.seal('n', 'v', 1_000);
    expect(signer.open('n', sealed, 999)).toEqual({ ok: true, value: 'v' });
    expect(signer.open('n', sealed, 1_000)).toEqual({ ok: false, reason: 'expired' });
  });
});
