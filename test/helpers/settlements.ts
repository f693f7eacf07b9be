import { randomUUID } from 'node:crypto';
import type { Micros } from '../../src/credits/money.js';
import type { LeasedSettlement } from '../../src/credits/settlements.js';
import { requestRow } from '../../src/pipeline/settle.js';

/**
 * A settlement of `cost` micros on an account, served by `instanceId`, with the request row of a
 * plain answered chat request: for tests of the settlement path below the pipeline.
 */
export function testSettlement(o: { accountId: string; instanceId: string; cost: number; requestId?: string; hold?: Micros; lease?: string | null }): LeasedSettlement {
  const requestId = o.requestId ?? randomUUID();
  const row = requestRow({ id: requestId, principal: undefined, usage: undefined, attempts: [], endpoint: 'chat.completions', status: 200, startedAt: Date.now(), elapsedMs: () => 1, cacheHit: false, stream: false } as never, o.instanceId);
  return { requestId, accountId: o.accountId, cost: BigInt(o.cost) as Micros, ...(o.hold === undefined ? {} : { hold: o.hold }), lease: o.lease ?? null, row };
}
