import { describe, expect, it } from 'vitest';
import { maskSecrets } from '../../../src/audit/log.js';

describe('audit secret masking', () => {
  it('masks secret-named fields at any depth, keeping only the last four of long ones, and never a password', () => {
    const masked = maskSecrets({
      id: 'openai',
      keys: [{ id: '1', secret: 'sk-live-abcdefghijklmnop-9876', last4: '9876' }],
      created: { key: 'tg_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG', prefix: 'tg_0123' },
      password: 'a long enough password that is secret',
      token: 'short',
      balance: 5n,
    });
    expect(masked).toEqual({
      id: 'openai',
      keys: [{ id: '1', secret: '••••9876', last4: '9876' }],
      created: { key: '••••DEFG', prefix: 'tg_0123' },
      password: '••••',
      token: '••••',
      balance: '5',
    });
  });
});
