/** Provider name used in error messages. */
export const GEMINI = 'Gemini';

/**
 * The resource a model id names: "models/<id>", or the id itself when the catalogue already
 * gives a full resource name ("models/…", "tunedModels/…").
 */
export function modelResource(upstreamModel: string): string {
  return /^(models|tunedModels)\//.test(upstreamModel) ? upstreamModel : `models/${upstreamModel}`;
}

/** The key goes in a header, never in the URL, so it cannot leak into access logs. */
export function geminiHeaders(secret: string, body = true): Record<string, string> {
  return body ? { 'x-goog-api-key': secret, 'content-type': 'application/json' } : { 'x-goog-api-key': secret };
}
