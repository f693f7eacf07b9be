import { describe, expect, it } from 'vitest';
import { micros } from '../../src/credits/money.js';
import { RequestContext } from '../../src/pipeline/context.js';
import { requestRow } from '../../src/pipeline/settle.js';
import { createUserWithKey } from '../helpers/catalogue.js';
import type { TestDatabase } from '../helpers/db.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { expectMoneyInvariants } from '../helpers/invariants.js';

let db: TestDatabase;
let gw: TestGateway;
useGatewayHarness({}, (h) => ({ db, gw } = h));

/** A served request of `accountId`'s as settlement records it. */
async function servedRequest(modelAlias: string) {
  const u = await createUserWithKey(gw, { credits: '1' });
  const ctx = new RequestContext(undefined);
  ctx.principal = { accountId: u.accountId, userId: u.user.id, keyId: u.keyId, planId: 'default' } as RequestContext['principal'];
  ctx.endpoint = 'chat.completions';
  ctx.modelAlias = modelAlias;
  ctx.usage = { promptTokens: 3, completionTokens: 4, cachedPromptTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  return { ctx, accountId: u.accountId };
}

describe('a settlement batch is never hostage to one row', () => {
  it('settles every good request of a batch at once, and records the unwritable one (sanitized) and charges it', async () => {
    const good = await Promise.all(Array.from({ length: 6 }, () => servedRequest('gpt-4o-mini')));
    // A NUL byte cannot be stored in a Postgres text column: this row alone fails as written.
    const poisoned = await servedRequest('gpt\u0000evil');
    const writer = gw.gw.credits.writer;
    const all = [...good, poisoned];
    // Submitted in one event-loop turn, so they share one batch.
    const results = await Promise.all(all.map((r) => writer.write({ requestId: r.ctx.id, accountId: r.accountId, cost: micros(11), row: requestRow(r.ctx, 'test'), lease: null })));
    expect(results.map((s) => s.charged)).toEqual(all.map(() => 11n));
    const rows = await db.query<{ id: string; model_alias: string; cost: string }>('SELECT id, model_alias, cost::text FROM requests WHERE id = ANY($1)', [all.map((r) => r.ctx.id)]);
    expect(rows).toHaveLength(all.length);
    expect(rows.find((r) => r.id === poisoned.ctx.id)).toEqual({ id: poisoned.ctx.id, model_alias: 'gpt\uFFFDevil', cost: '11' });
    await expectMoneyInvariants(db);
  });

  it('through the settlement stream too: a settler writes the good ones and the unwritable one (sanitized)', async () => {
    const good = await Promise.all(Array.from({ length: 6 }, () => servedRequest('gpt-4o-mini')));
    const poisoned = await servedRequest('gpt\u0000evil');
    const all = [...good, poisoned];
    const credits = gw.gw.credits;
    await Promise.all(all.map((r) => credits.settle({ requestId: r.ctx.id, accountId: r.accountId, cost: micros(11), row: requestRow(r.ctx, 'test') })));
    await credits.settledUpToNow();
    const rows = await db.query<{ id: string; model_alias: string; cost: string }>('SELECT id, model_alias, cost::text FROM requests WHERE id = ANY($1)', [all.map((r) => r.ctx.id)]);
    expect(rows).toHaveLength(all.length);
    expect(rows.find((r) => r.id === poisoned.ctx.id)).toEqual({ id: poisoned.ctx.id, model_alias: 'gpt\uFFFDevil', cost: '11' });
    await expectMoneyInvariants(db);
  });
});
