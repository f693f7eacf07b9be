/**
 * The admin API's one description: TypeBox schemas (JSON Schema at run time) of every request
 * body and of the answers the SDK and the panel read; the types are derived from them with
 * `Static`. The gateway validates bodies with these schemas, the SDK and the panel import the
 * types, and config-schema/admin-api.schema.json is generated from `ADMIN_BODIES`
 * (scripts/admin-api-schema.ts; a test fails when the file drifts).
 */
import { AlertCreate, WebhookCreate, WebhookUpdate } from './alerts.js';
import { KeyLimitsUpdate, UserLimitsUpdate } from './budgets.js';
import { ApiKeyCreate, CreditChange, UserCreate, UserUpdate } from './people.js';
import { AdminAccountCreate, AdminAccountUpdate, PasswordChange, SignIn } from './team.js';
import { ModelCreate, ModelUpdate, PlanCreate, PlanUpdate, PriceCreate, ProviderCreate, ProviderKeyCreate, ProviderKeyUpdate, ProviderUpdate } from './catalogue.js';

export * from './alerts.js';
export * from './budgets.js';
export * from './catalogue.js';
export * from './people.js';
export * from './stats.js';
export * from './team.js';

/** Every request body, by the name it has in config-schema/admin-api.schema.json. */
export const ADMIN_BODIES = {
  providerCreate: ProviderCreate,
  providerUpdate: ProviderUpdate,
  providerKeyCreate: ProviderKeyCreate,
  providerKeyUpdate: ProviderKeyUpdate,
  priceCreate: PriceCreate,
  modelCreate: ModelCreate,
  modelUpdate: ModelUpdate,
  planCreate: PlanCreate,
  planUpdate: PlanUpdate,
  userCreate: UserCreate,
  userUpdate: UserUpdate,
  apiKeyCreate: ApiKeyCreate,
  creditChange: CreditChange,
  signIn: SignIn,
  passwordChange: PasswordChange,
  adminAccountCreate: AdminAccountCreate,
  adminAccountUpdate: AdminAccountUpdate,
  keyLimitsUpdate: KeyLimitsUpdate,
  userLimitsUpdate: UserLimitsUpdate,
  webhookCreate: WebhookCreate,
  webhookUpdate: WebhookUpdate,
  alertCreate: AlertCreate,
} as const;
