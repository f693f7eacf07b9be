import type { Request, RequestHandler, Response } from 'express';
import { extractBearer } from '../../auth/api-keys.js';
import { modelAllowed } from '../../auth/model-allowlist.js';
import type { ModelConfig } from '../../config/catalogue.js';
import type { Gateway } from '../../gateway.js';
import { ModelNotFoundError } from '../../errors.js';

function renderModel(m: ModelConfig, ownedBy: string): Record<string, unknown> {
  return {
    id: m.alias,
    object: 'model',
    created: Math.floor((m.prices.at(-1)?.effectiveFrom ?? 0) / 1000),
    owned_by: ownedBy,
  };
}

/** GET /v1/models — the enabled catalogue (the models the key may call), in OpenAI's list shape. */
export function listModels(gw: Gateway): RequestHandler {
  return async (req: Request, res: Response) => {
    const principal = await gw.auth.authenticate(extractBearer(req.headers.authorization, req.headers['x-api-key']));
    const cat = gw.config.current;
    const data: Record<string, unknown>[] = [];
    for (const m of cat.models.values()) {
      if (cat.servableModel(m.alias) && modelAllowed(principal, m.alias)) data.push(renderModel(m, cat.providers.get(m.providerId)!.kind));
    }
    data.sort((a, b) => String(a.id).localeCompare(String(b.id)));
    res.json({ object: 'list', data });
  };
}

/** GET /v1/models/:model */
export function retrieveModel(gw: Gateway): RequestHandler {
  return async (req: Request, res: Response) => {
    const principal = await gw.auth.authenticate(extractBearer(req.headers.authorization, req.headers['x-api-key']));
    const cat = gw.config.current;
    const alias = String(req.params.model);
    const m = cat.servableModel(alias);
    if (!m || !modelAllowed(principal, alias)) throw new ModelNotFoundError(alias);
    res.json(renderModel(m, cat.providers.get(m.providerId)!.kind));
  };
}
