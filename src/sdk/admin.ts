import { OpenAIError } from 'openai';
import type * as T from './admin-api/index.js';
import { envVar, HttpClient, resolveBaseURL, type Query } from './http.js';
import { tagFilter, type Usage, type UsageQuery } from './types.js';

export interface TollgateAdminOptions {
  /** The admin token (default: the TOLLGATE_ADMIN_TOKEN environment variable). */
  adminToken?: string;
  /** The gateway's address (default: TOLLGATE_BASE_URL, else http://localhost:8080). */
  baseURL?: string;
  /** Retries of reads (GETs) on 408/429/5xx and connection errors (default 2); writes are never retried. */
  maxRetries?: number;
  /** Per-attempt timeout in milliseconds (default 60 000). */
  timeout?: number;
  fetch?: typeof fetch;
  defaultHeaders?: Record<string, string>;
}

export type AdminUsageQuery = Omit<UsageQuery, 'scope'> & { accountId?: string; userId?: string };

const id = encodeURIComponent;
type List<X> = { data: X[] };

/**
 * The admin REST API (/admin/api), typed: providers and their keys, models and prices, plans,
 * users and API keys, accounts and credits, usage and health, admin accounts and the audit log. Errors are the same classes as the
 * app client's (e.g. a validation failure is an `openai` BadRequestError whose `param` names the field).
 */
export class TollgateAdmin {
  readonly baseURL: string;
  readonly #http: HttpClient;

  constructor(opts: TollgateAdminOptions = {}) {
    const token = opts.adminToken ?? envVar('TOLLGATE_ADMIN_TOKEN');
    if (!token) throw new OpenAIError('TollgateAdmin needs the admin token: pass { adminToken } or set TOLLGATE_ADMIN_TOKEN.');
    this.baseURL = resolveBaseURL(opts.baseURL);
    this.#http = new HttpClient({ ...opts, baseURL: `${this.baseURL}/admin/api`, token });
  }

  readonly providers = {
    list: () => this.#list<T.Provider>('/providers'),
    get: (providerId: string) => this.#get<T.Provider>(`/providers/${id(providerId)}`),
    create: (body: T.ProviderCreate) => this.#send<T.Provider>('POST', '/providers', body),
    update: (providerId: string, body: T.ProviderUpdate) => this.#send<T.Provider>('PATCH', `/providers/${id(providerId)}`, body),
    delete: (providerId: string) => this.#send<void>('DELETE', `/providers/${id(providerId)}`),
    /** Adds a key; the answer shows only its last four characters. */
    addKey: (providerId: string, body: T.ProviderKeyCreate) =>
      this.#send<T.ProviderKeyAdded>('POST', `/providers/${id(providerId)}/keys`, body),
    /** Changes a key's label, weight, limits or enabled flag; `secret` rotates it in place. */
    updateKey: (providerId: string, keyId: string, body: T.ProviderKeyUpdate) => this.#send<void>('PATCH', `/providers/${id(providerId)}/keys/${id(keyId)}`, body),
    deleteKey: (providerId: string, keyId: string) => this.#send<void>('DELETE', `/providers/${id(providerId)}/keys/${id(keyId)}`),
    /** Test connection: one cheap authenticated call per key. */
    test: (providerId: string) => this.#send<T.ProviderTestResult>('POST', `/providers/${id(providerId)}/test`),
  };

  readonly models = {
    list: () => this.#list<T.Model>('/models'),
    get: (alias: string) => this.#get<T.Model>(`/models/${id(alias)}`),
    create: (body: T.ModelCreate) => this.#send<T.Model>('POST', '/models', body),
    update: (alias: string, body: T.ModelUpdate) => this.#send<T.Model>('PATCH', `/models/${id(alias)}`, body),
    delete: (alias: string) => this.#send<void>('DELETE', `/models/${id(alias)}`),
    /** Price history, newest first. */
    prices: (alias: string) => this.#list<T.Price>(`/models/${id(alias)}/prices`),
    /** A new price from `effectiveFrom` (default now); requests already started keep their price. Returns the model. */
    addPrice: (alias: string, body: T.PriceCreate) => this.#send<T.Model>('POST', `/models/${id(alias)}/prices`, body),
  };

  readonly plans = {
    list: () => this.#list<T.Plan>('/plans'),
    get: (planId: string) => this.#get<T.Plan>(`/plans/${id(planId)}`),
    create: (body: T.PlanCreate) => this.#send<T.Plan>('POST', '/plans', body),
    update: (planId: string, body: T.PlanUpdate) => this.#send<T.Plan>('PATCH', `/plans/${id(planId)}`, body),
    delete: (planId: string) => this.#send<void>('DELETE', `/plans/${id(planId)}`),
  };

  readonly users = {
    /** Newest first (at most 500); `q` matches email or name. */
    list: (query: { q?: string } = {}) => this.#list<T.User>('/users', query),
    get: (userId: string) => this.#get<T.User>(`/users/${id(userId)}`),
    /** Opens an account for the user unless `accountId` is given; `initialCredits` funds it. */
    create: (body: T.UserCreate) => this.#send<T.User>('POST', '/users', body),
    update: (userId: string, body: T.UserUpdate) => this.#send<T.User>('PATCH', `/users/${id(userId)}`, body),
    /** The user's spend caps (UTC day, UTC month, lifetime) with what their current periods spent. */
    limits: (userId: string) => this.#get<T.UserLimits>(`/users/${id(userId)}/limits`),
    /** Sets caps in credits; null removes one, an absent one is left as it is. */
    setLimits: (userId: string, body: T.UserLimitsUpdate) => this.#send<T.UserLimits>('PATCH', `/users/${id(userId)}/limits`, body),
  };

  readonly keys = {
    /** A user's API keys, newest first (secrets are never stored, so never listed). */
    list: (userId: string) => this.#list<T.ApiKey>(`/users/${id(userId)}/keys`),
    /** A new API key; the answer's `key` is the secret, shown this once. */
    create: (userId: string, body: T.ApiKeyCreate = {}) => this.#send<T.CreatedApiKey>('POST', `/users/${id(userId)}/keys`, body),
    /** Revokes a key on every instance at once; it never authenticates again. */
    revoke: (keyId: string) => this.#send<void>('DELETE', `/keys/${id(keyId)}`),
    /** Every user's keys with their owner, newest first; search by prefix, name or email. */
    search: (query: T.KeyListQuery = {}) => this.#list<T.ApiKey>('/keys', { ...query }),
    /** The key's caps and model allowlist, and its user's caps (both apply), with their current periods' usage. */
    limits: (keyId: string) => this.#get<T.KeyLimits>(`/keys/${id(keyId)}/limits`),
    /** Sets the key's caps (null removes one) and/or its model allowlist (null: every model). */
    setLimits: (keyId: string, body: T.KeyLimitsUpdate) => this.#send<T.KeyLimits>('PATCH', `/keys/${id(keyId)}/limits`, body),
  };

  readonly webhooks = {
    list: () => this.#list<T.Webhook>('/webhooks'),
    /** A new webhook; the answer's `secret` (the signing secret) is shown this once. */
    create: (body: T.WebhookCreate) => this.#send<T.WebhookWithSecret>('POST', '/webhooks', body),
    update: (webhookId: string, body: T.WebhookUpdate) => this.#send<T.Webhook>('PATCH', `/webhooks/${id(webhookId)}`, body),
    /** Deletes the webhook, its alerts and its delivery log. */
    delete: (webhookId: string) => this.#send<void>('DELETE', `/webhooks/${id(webhookId)}`),
    /** A new signing secret, shown this once; the old one stops verifying at once. */
    rotateSecret: (webhookId: string) => this.#send<T.WebhookWithSecret>('POST', `/webhooks/${id(webhookId)}/secret`),
    /** Sends a signed test event now; answers with its delivery (state, status, error). */
    test: (webhookId: string) => this.#send<T.WebhookDelivery>('POST', `/webhooks/${id(webhookId)}/test`),
    /** The delivery log, newest first. */
    deliveries: (webhookId: string, query: { limit?: number } = {}) => this.#list<T.WebhookDelivery>(`/webhooks/${id(webhookId)}/deliveries`, query),
  };

  readonly alerts = {
    list: () => this.#list<T.Alert>('/alerts'),
    /** A low-balance alert (`accountId`, `below`) or a budget alert (`keyId` or `userId`, `period`, `percents`). */
    create: (body: T.AlertCreate) => this.#send<T.Alert>('POST', '/alerts', body),
    delete: (alertId: string) => this.#send<void>('DELETE', `/alerts/${id(alertId)}`),
  };

  readonly requests = {
    /** One page of the request log, newest first; pass `nextBefore` back as `before` for the next. */
    list: (query: T.RequestLogQuery = {}) => this.#get<T.RequestLogPage>('/requests', { ...query }),
    /** One request with its upstream attempts. */
    get: (requestId: string) => this.#get<T.RequestDetail>(`/requests/${id(requestId)}`),
    /** Every request matching the filters as CSV (newest first), streamed: read it at your own pace. */
    exportCsv: (query: T.RequestLogFilterQuery = {}) => this.#http.download('/requests.csv', { ...query }),
  };

  readonly accounts = {
    /** Newest first (at most 500); `q` matches the account name. */
    list: (query: { q?: string } = {}) => this.#list<T.Account>('/accounts', query),
    get: (accountId: string) => this.#get<T.Account>(`/accounts/${id(accountId)}`),
    /** Adds credits (a positive amount). */
    grant: (accountId: string, body: T.CreditChange) => this.#send<T.CreditChangeResult>('POST', `/accounts/${id(accountId)}/grants`, body),
    /** Corrects the balance (may be negative; never below what is held). */
    adjust: (accountId: string, body: T.CreditChange) => this.#send<T.CreditChangeResult>('POST', `/accounts/${id(accountId)}/adjustments`, body),
    /** One page of the append-only ledger, newest first. */
    ledger: (accountId: string, query: { limit?: number; before?: string } = {}) => this.#get<T.LedgerPage>(`/accounts/${id(accountId)}/ledger`, query),
    /** Every ledger entry, newest first, fetched page by page. */
    ledgerEntries: (accountId: string, pageSize = 500) => this.#ledgerEntries(accountId, pageSize),
    /** The whole ledger as CSV, newest first, streamed. */
    exportLedgerCsv: (accountId: string) => this.#http.download(`/accounts/${id(accountId)}/ledger.csv`),
  };

  /** Usage across everyone, or one account or user, over a period; optionally filtered by tags. */
  usage(query: AdminUsageQuery = {}): Promise<Usage> {
    const { tags, ...rest } = query;
    return this.#get<Usage>('/usage', { ...rest, tag: tagFilter(tags) });
  }

  /** Requests, errors, tokens and spend per hour or day (UTC, zero-filled) and per model, provider or user. */
  stats(query: T.UsageStatsQuery = {}): Promise<T.UsageStats> {
    return this.#get<T.UsageStats>('/stats/usage', { ...query });
  }

  /** Admin accounts (the admin token acts as an owner, so it may manage them). */
  readonly team = {
    list: () => this.#list<T.AdminAccount>('/team'),
    create: (body: T.AdminAccountCreate) => this.#send<T.AdminAccount>('POST', '/team', body),
    /** A new `password` or `disabled: true` signs the account out everywhere. */
    update: (accountId: string, body: T.AdminAccountUpdate) => this.#send<T.AdminAccount>('PATCH', `/team/${id(accountId)}`, body),
    delete: (accountId: string) => this.#send<void>('DELETE', `/team/${id(accountId)}`),
  };

  /** One page of the audit log of admin changes, newest first; pass `nextBefore` as `before` for the next. */
  audit(query: T.AuditQuery = {}): Promise<T.AuditPage> {
    return this.#get<T.AuditPage>('/audit', { ...query });
  }

  /** Every time bucket × group with traffic as CSV (the same query as `stats`, every group), streamed. */
  exportStatsCsv(query: T.UsageExportQuery = {}): Promise<ReadableStream<Uint8Array>> {
    return this.#http.download('/stats/usage.csv', { ...query });
  }

  /** Traffic, error and cache-hit rates and latency per provider over the last `minutes`, and breaker states. */
  health(query: { minutes?: number } = {}): Promise<T.AdminHealth> {
    return this.#get<T.AdminHealth>('/health', query);
  }

  async *#ledgerEntries(accountId: string, pageSize: number): AsyncGenerator<T.LedgerEntry> {
    let before: string | undefined;
    do {
      const page = await this.accounts.ledger(accountId, { limit: pageSize, before });
      yield* page.data;
      before = page.nextBefore ?? undefined;
    } while (before !== undefined);
  }

  #get<R>(path: string, query?: Query): Promise<R> {
    return this.#http.request<R>('GET', path, { query });
  }

  async #list<R>(path: string, query?: Query): Promise<R[]> {
    return (await this.#http.request<List<R>>('GET', path, { query })).data;
  }

  #send<R>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<R> {
    return this.#http.request<R>(method, path, { body });
  }
}
