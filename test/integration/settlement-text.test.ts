import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { micros } from '../../src/credits/money.js';
import { SettlementWriter } from '../../src/credits/settlements.js';
import { createLogger } from '../../src/observability/logger.js';
import { RequestContext } from '../../src/pipeline/context.js';
import { requestRow } from '../../src/pipeline/settle.js';
import type { Queryable } from '../../src/store/db.js';
import type { PgliteDb } from '../../src/store/pglite.js';
import { createUserWithKey } from '../helpers/catalogue.js';
import { createOwner, openEmbedded, PGLITE_DEADLINE_MS, type Owner } from '../helpers/embedded.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';

/** Text a client controls that a settlement carries to Postgres in its batch's column arrays. */
const AWKWARD = ['NULL', 'a "quoted", back\\slash', '{braces,}', ' spaced ', '', 'ünïcødé ✓ 𝄞', "it's", 'plain'];

/** Writes one batch of requests whose model, tags and error messages are AWKWARD, and checks each row as stored. */
async function settlesUnchanged(writer: SettlementWriter, db: Queryable, o: Owner): Promise<void> {
  const ctxs = AWKWARD.map((text, i) => {
    const ctx = new RequestContext(undefined);
    ctx.principal = { accountId: o.accountId, userId: o.userId, keyId: o.keyId, planId: 'default' } as RequestContext['principal'];
    ctx.endpoint = 'chat.completions';
    ctx.modelAlias = text;
    ctx.status = i % 2 ? 200 : 400;
    ctx.errorCode = i % 2 ? undefined : 'invalid_request';
    ctx.errorMessage = i % 2 ? undefined : text;
    ctx.tags = { team: text, [text || 'empty']: 'x"y\\z' };
    ctx.usage = { promptTokens: i, completionTokens: 2 * i, cachedPromptTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
    return ctx;
  });
  // Submitted in one event-loop turn, so they share one batch.
  await Promise.all(ctxs.map((ctx) => writer.write({ requestId: ctx.id, accountId: o.accountId, cost: micros(7), row: requestRow(ctx, 'test'), lease: null })));
  const { rows } = await db.query<{ id: string; model_alias: string; error_message: string | null; error_code: string | null; tags: Record<string, string>; prompt_tokens: number; completion_tokens: number; status: number; cost: string }>(
    'SELECT id, model_alias, error_message, error_code, tags, prompt_tokens, completion_tokens, status, cost::text FROM requests WHERE id = ANY($1)',
    [ctxs.map((c) => c.id)],
  );
  expect(rows).toHaveLength(ctxs.length);
  for (const [i, ctx] of ctxs.entries()) {
    expect(rows.find((r) => r.id === ctx.id)).toEqual({
      id: ctx.id,
      model_alias: ctx.modelAlias,
      error_message: ctx.errorMessage ?? null,
      error_code: ctx.errorCode ?? null,
      tags: ctx.tags,
      prompt_tokens: i,
      completion_tokens: 2 * i,
      status: ctx.status,
      cost: '7',
    });
  }
}

describe('a settlement batch keeps the request row exactly as served', () => {
  describe('on Postgres', () => {
    let gw: TestGateway;
    useGatewayHarness({}, (h) => ({ gw } = h));

    it('stores awkward text, tags and error messages unchanged, next to plain rows in the same batch', async () => {
      const u = await createUserWithKey(gw, { credits: '1' });
      await settlesUnchanged(gw.gw.credits.writer, gw.gw.db, { accountId: u.accountId, userId: u.user.id, keyId: u.keyId });
    });
  });

  describe('on the embedded database (PGlite)', () => {
    let db: PgliteDb;
    let owner: Owner;

    beforeAll(async () => {
      db = await openEmbedded();
      owner = await createOwner(db);
    }, PGLITE_DEADLINE_MS);
    afterAll(async () => db?.close());

    it('the same', async () => {
      await settlesUnchanged(new SettlementWriter(db, createLogger('silent'), 'embedded'), db, owner);
    });
  });
});
