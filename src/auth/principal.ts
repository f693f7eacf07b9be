/** Who is calling: resolved from an API key, cached, and read by every later step. */
export interface Principal {
  keyId: string;
  keyPrefix: string;
  userId: string;
  userEmail: string;
  accountId: string;
  planId: string;
  /** The key or its user has a spend cap: admission reserves against it (credits/budgets.ts). Absent: no cap. */
  budgeted?: true;
  /** Model aliases the key may call. Absent: every model. */
  allowedModels?: string[];
}
