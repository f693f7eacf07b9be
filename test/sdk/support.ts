import { Tollgate, type TollgateOptions } from '../../src/sdk/index.js';
import { createUserWithKey } from '../helpers/catalogue.js';
import type { TestGateway } from '../helpers/gateway.js';

/** A fresh user with `credits`, and a Tollgate client on their key (no retries unless asked). */
export async function sdkUser(gw: TestGateway, credits = '1', opts: TollgateOptions = {}) {
  const u = await createUserWithKey(gw, { credits });
  return { ...u, tg: new Tollgate({ apiKey: u.key, baseURL: gw.url, maxRetries: 0, ...opts }) };
}

export const CHAT_MODEL = 'gpt-4o-mini';
export const EMBEDDING_MODEL = 'text-embedding-3-small';
