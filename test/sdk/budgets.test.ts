import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { BudgetExceededError, InsufficientCreditsError, ModelNotAllowedError, TollgateAdmin } from '../../src/sdk/index.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { CHAT_MODEL, sdkUser } from './support.js';

let gw: TestGateway;
useGatewayHarness({}, (h) => ({ gw } = h));

const ask = { model: CHAT_MODEL, max_tokens: 20, messages: [{ role: 'user' as const, content: 'go [[reply:20]]' }] };

describe('spend caps and the model allowlist through the SDK', () => {
  it('the admin SDK sets caps and an allowlist; the app client sees them in credits() and gets typed errors', async () => {
    const admin = new TollgateAdmin({ adminToken: gw.adminToken, baseURL: gw.url, maxRetries: 0 });
    const u = await sdkUser(gw, '10');
    const set = await admin.keys.setLimits(u.keyId, { caps: { day: '0.0001' }, allowedModels: [CHAT_MODEL] });
    expect(set).toMatchObject({ keyId: u.keyId, allowedModels: [CHAT_MODEL], budgets: [{ scope: 'key', period: 'day', limit: '0.000100', spent: '0.000000' }] });
    expect((await admin.users.setLimits(u.user.id, { caps: { lifetime: '3' } })).budgets).toMatchObject([{ scope: 'user', period: 'lifetime', limit: '3.000000' }]);
    expect((await admin.users.limits(u.user.id)).budgets).toHaveLength(1);

    await u.tg.chat.completions.create(ask);
    const credits = await u.tg.credits();
    expect(credits.allowed_models).toEqual([CHAT_MODEL]);
    expect(credits.budgets.map((b) => [b.scope, b.period, b.spent_microcredits])).toEqual([
      ['key', 'day', '42'],
      ['user', 'lifetime', '42'],
    ]);

    // 58 µ left of the day: less than a request needs (81 µ).
    const err = await u.tg.chat.completions.create(ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 402, code: 'budget_exceeded', scope: 'key', period: 'day', limit: '0.000100', spent: '0.000042' });
    expect((err as BudgetExceededError).retryAfterSeconds).toBeGreaterThan(0);

    await admin.keys.setLimits(u.keyId, { caps: { day: null }, allowedModels: ['claude-sonnet'] });
    const denied = await u.tg.chat.completions.create(ask).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(ModelNotAllowedError);
    expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((await admin.keys.limits(u.keyId)).budgets.map((b) => b.scope)).toEqual(['user']);
  });
});
