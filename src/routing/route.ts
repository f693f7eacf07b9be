import type { ChatRequest, EmbeddingsRequest } from '../canonical/index.js';
import type { Catalogue, ModelConfig, ProviderConfig } from '../config/catalogue.js';
import { InvalidRequestError, ModelNotFoundError } from '../errors.js';

/** One place a request can be served: a catalogue model and the provider behind it. */
export interface Deployment {
  model: ModelConfig;
  provider: ProviderConfig;
}

/** The model the client named, then its fallback chain (servable entries only, no repeats). */
export interface Route {
  requested: string;
  deployments: Deployment[];
}

function deploymentsFor(catalogue: Catalogue, primary: ModelConfig): Deployment[] {
  const out: Deployment[] = [];
  const seen = new Set<string>();
  for (const alias of [primary.alias, ...primary.fallbacks]) {
    if (seen.has(alias)) continue;
    seen.add(alias);
    const model = catalogue.servableModel(alias);
    if (!model || model.kind !== primary.kind) continue;
    out.push({ model, provider: catalogue.providers.get(model.providerId)! });
  }
  return out;
}

function hasImages(req: ChatRequest): boolean {
  for (const m of req.messages) {
    if (m.role === 'user') for (const p of m.content) if (p.type === 'image') return true;
  }
  return false;
}

/** Why this model cannot take this request, or undefined when it can. */
export function incapability(model: ModelConfig, req: ChatRequest): { message: string; param: string } | undefined {
  if (hasImages(req) && !model.supportsVision) return { message: `The model '${model.alias}' does not accept images.`, param: 'messages' };
  if (req.tools && !model.supportsTools) return { message: `The model '${model.alias}' does not support tools.`, param: 'tools' };
  if (req.responseFormat && !model.supportsJson) {
    return { message: `The model '${model.alias}' does not support response_format '${req.responseFormat.type}'.`, param: 'response_format' };
  }
  if (req.params.maxTokens !== undefined && req.params.maxTokens > model.maxOutputTokens) {
    return { message: `max_tokens is too large: ${req.params.maxTokens}. The model '${model.alias}' supports at most ${model.maxOutputTokens} completion tokens.`, param: 'max_tokens' };
  }
  return undefined;
}

/**
 * Model alias → the deployments that may serve it. The primary must exist, be a chat model and be
 * able to take the request (else 404/400); fallbacks that cannot take it are skipped.
 */
export function resolveChatRoute(catalogue: Catalogue, req: ChatRequest): Route {
  const primary = catalogue.servableModel(req.model);
  if (!primary) throw new ModelNotFoundError(req.model);
  if (primary.kind !== 'chat') {
    throw new InvalidRequestError(`The model '${req.model}' is an embedding model; use /v1/embeddings.`, { param: 'model', code: 'model_not_supported' });
  }
  const problem = incapability(primary, req);
  if (problem) throw new InvalidRequestError(problem.message, { param: problem.param, code: 'model_not_capable' });
  const deployments = deploymentsFor(catalogue, primary).filter((d) => d.model === primary || !incapability(d.model, req));
  return { requested: req.model, deployments };
}

export function resolveEmbeddingsRoute(catalogue: Catalogue, req: EmbeddingsRequest): Route {
  const primary = catalogue.servableModel(req.model);
  if (!primary) throw new ModelNotFoundError(req.model);
  if (primary.kind !== 'embedding') {
    throw new InvalidRequestError(`The model '${req.model}' is not an embedding model.`, { param: 'model', code: 'model_not_supported' });
  }
  return { requested: req.model, deployments: deploymentsFor(catalogue, primary) };
}
