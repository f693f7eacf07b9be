import { ModelNotAllowedError } from '../errors.js';
import type { Principal } from './principal.js';

/** Whether the key may call this model alias (a key without an allowlist may call every model). */
export function modelAllowed(p: Principal, model: string): boolean {
  return p.allowedModels === undefined || p.allowedModels.includes(model);
}

/** 403 when the key's model allowlist does not name the model it asked for. */
export function assertModelAllowed(p: Principal, model: string | undefined): void {
  if (p.allowedModels === undefined || model === undefined || p.allowedModels.includes(model)) return;
  throw new ModelNotAllowedError(model, p.allowedModels);
}
