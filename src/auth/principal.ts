/** Who is calling: resolved from an API key, cached, and read by every later step. */
export interface Principal {
  keyId: string;
  keyPrefix: string;
  userId: string;
  userEmail: string;
  accountId: string;
  planId: string;
}
