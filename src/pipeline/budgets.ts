import { budgetRefusal } from '../credits/budgets.js';
import { affordableOutput, holdCost, type HoldTerms } from '../credits/pricing.js';
import { ServiceUnavailableError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { RequestContext } from './context.js';

/**
 * Before the hold, for a key or user with a spend cap (only they get here): reserve the worst case
 * against every cap at once (credits/budgets.ts, one Postgres statement), or answer 402 naming the
 * cap. Returns the output tokens the caps afford (at most `maxOutput`), which the hold then uses.
 */
export async function reserveBudgets(gw: Gateway, ctx: RequestContext, terms: HoldTerms, maxOutput: number, minOutput: number): Promise<number> {
  const p = ctx.principal!;
  const wanted = holdCost(terms, maxOutput);
  const min = holdCost(terms, minOutput);
  let outcome;
  try {
    outcome = await gw.credits.budgets.reserve({ requestId: ctx.id, keyId: p.keyId, userId: p.userId, wanted, min }, gw.env.CREDIT_WAIT_MS);
  } catch (err) {
    gw.log.warn({ err: (err as Error).message, reqId: ctx.id }, 'budget reservation failed');
    throw new ServiceUnavailableError('The spend caps of this key cannot be checked right now; try again shortly.', 'budget_unavailable', 1);
  }
  if (!outcome.ok) throw budgetRefusal(outcome.binding, min);
  if (!outcome.binding) return maxOutput;
  ctx.budget = { reserved: outcome.granted };
  return outcome.granted >= wanted ? maxOutput : (affordableOutput(terms, outcome.granted, maxOutput, minOutput) ?? minOutput);
}
