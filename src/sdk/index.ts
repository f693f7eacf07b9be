/**
 * Tollgate SDK for internal apps: `import { Tollgate, TollgateAdmin } from 'tollgate/sdk'`.
 * Builds on the `openai` package (a peer dependency) and nothing else.
 */
export { Tollgate, type TollgateOptions, type TollgateRequestOptions } from './client.js';
export { TollgateAdmin, type AdminUsageQuery, type TollgateAdminOptions } from './admin.js';
export { TollgateStream, type TollgateChatCompletionChunk } from './stream.js';
export type { TollgateMeta, TollgateUsageExtension, WithTollgate } from './meta.js';
export {
  BudgetExceededError,
  IdempotencyKeyInProgressError,
  IdempotencyKeyReusedError,
  InsufficientCreditsError,
  ModelNotAllowedError,
  ModelNotFoundError,
  RateLimitedError,
  UpstreamUnavailableError,
} from './errors.js';
// The rest of the error family, so apps can catch everything from one import.
export {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  OpenAIError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from 'openai';
export { formatCredits, MICROCREDITS_PER_CREDIT, toMicrocredits } from './money.js';
export { verifyWebhook, type VerifyWebhookOptions } from './webhooks.js';
export type { Budget, Credits, RequestRecord, Tags, Usage, UsageByModel, UsageQuery, UsageRequest, UsageTotals } from './types.js';
// The admin API's bodies and answers (types only: the schemas stay on the gateway's side at run time).
export type * from './admin-api/index.js';
