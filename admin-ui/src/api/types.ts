/**
 * Shapes of the admin API responses the panel reads (src/http/admin/*.ts). Money arrives as
 * decimal credit strings with six places. The catalogue, account and key shapes are the SDK's
 * (src/sdk/admin-api, the admin API's one description), under the names the panel uses. The gateway's
 * typecheck compiles this file too (test/unit/http/admin-ui-types.test.ts), so they cannot drift.
 */

import type {
  AdminAccount, AdminPermission, AdminRole, AdminSession, AdminSetup, AuditEntry, AuditPage,
} from '../../../src/sdk/admin-api/index.js';
import type {
  Account, AdminHealth, Alert, ApiKey, BudgetUsage, CreatedApiKey, KeyLimits, UserLimits, Webhook, WebhookDelivery, WebhookWithSecret, ProviderTestResult, CreditChangeResult, LedgerEntry, Model, Plan, Price, Provider, ProviderKey, ProviderKind, RequestDetail, RequestRow, UsageStats,
  UsageTotals, User,
} from '../../../src/sdk/admin-api/index.js';

export type {
  Account, Alert, ApiKey, BudgetUsage, KeyLimits, UserLimits, Webhook, WebhookDelivery, WebhookWithSecret, CreditChangeResult, LedgerEntry, Model, Plan, Price, Provider, ProviderKey, ProviderKind, RequestDetail, RequestRow, UsageStats,
  UsageTotals, User,
};

export type { AdminAccount, AdminPermission, AdminRole, AdminSession, AdminSetup, AuditEntry, AuditPage };

export type ConnectionTest = ProviderTestResult;
export type CreatedKey = CreatedApiKey;
export type Health = AdminHealth;
/** One circuit breaker per provider key (test/unit/http/admin-ui-types.test.ts checks it against the gateway's BreakerState). */
export type BreakerState = AdminHealth['breakers'][number];

export interface List<T> {
  data: T[];
  nextBefore?: string | null;
}
