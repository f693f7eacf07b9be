import type { JsonSchema } from '../../canonical/index.js';

/**
 * Gemini's OpenAPI-subset `Schema` (responseSchema, function `parameters`) → JSON Schema, the
 * canonical form's schema language. Types are upper case there (OBJECT, STRING); `nullable`
 * becomes a union with null. `propertyOrdering` and `example` only guide Gemini's output and
 * have no JSON Schema meaning; they are left out.
 */
const DROPPED = new Set(['nullable', 'propertyOrdering', 'example']);

export function openApiToJsonSchema(s: Record<string, unknown>): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (DROPPED.has(k)) continue;
    if (k === 'type' && typeof v === 'string') out.type = v.toLowerCase();
    else if (k === 'properties' && isObject(v)) out.properties = Object.fromEntries(Object.entries(v).map(([name, p]) => [name, isObject(p) ? openApiToJsonSchema(p) : p]));
    else if (k === 'items' && isObject(v)) out.items = openApiToJsonSchema(v);
    else if (k === 'anyOf' && Array.isArray(v)) out.anyOf = v.map((x) => (isObject(x) ? openApiToJsonSchema(x) : x));
    else out[k] = v;
  }
  if (s.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
