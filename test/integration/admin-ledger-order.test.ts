import { describe, expect, it } from 'vitest';
import { useGatewayHarness } from '../helpers/harness.js';

/** The ledger pages newest first by its numeric id: entries 10, 11, 12… are not lost between pages. */
const h = useGatewayHarness({ credits: '1' });

describe('account ledger paging', () => {
  it('lists every entry once, newest first, across pages, past ten entries', async () => {
    for (let i = 0; i < 12; i++) await h.gw.admin('POST', `/accounts/${h.accountId}/grants`, { amount: '1', note: `grant ${i}` });
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const page: { data: { id: string; note: string }[]; nextBefore: string | null } = await h.gw.admin('GET', `/accounts/${h.accountId}/ledger?limit=5${before ? `&before=${before}` : ''}`);
      seen.push(...page.data.map((e) => e.note));
      before = page.nextBefore;
    } while (before);
    expect(seen).toEqual([...Array.from({ length: 12 }, (_, i) => `grant ${11 - i}`), 'initial credits']);
  });
});
