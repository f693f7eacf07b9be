import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { readProjectJson } from '../../paths.js';
import { InvalidRequestError } from '../../errors.js';

const ajv = new Ajv({ allErrors: false, strict: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
ajv.addSchema(readProjectJson<object>('config-schema', 'admin-api.schema.json'), 'admin');

export type AdminBody =
  | 'providerCreate'
  | 'providerUpdate'
  | 'providerKeyCreate'
  | 'providerKeyUpdate'
  | 'priceCreate'
  | 'modelCreate'
  | 'modelUpdate'
  | 'planCreate'
  | 'planUpdate'
  | 'userCreate'
  | 'userUpdate'
  | 'apiKeyCreate'
  | 'creditChange';

function fieldOf(err: ErrorObject): string {
  const base = err.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = (err.params as { missingProperty?: string }).missingProperty;
  const extra = (err.params as { additionalProperty?: string }).additionalProperty;
  const leaf = missing ?? extra;
  return leaf ? (base ? `${base}.${leaf}` : leaf) : base || 'body';
}

/** Validates an admin API body; a 400 names the field (`param`) so the panel can show it there. */
export function checkBody<T>(name: AdminBody, body: unknown): T {
  const validate = ajv.getSchema(`admin#/definitions/${name}`)!;
  if (!validate(body)) {
    const err = validate.errors![0]!;
    const field = fieldOf(err);
    const extra = (err.params as { additionalProperty?: string }).additionalProperty;
    const message = extra ? `Unknown field '${field}'.` : err.keyword === 'required' ? `'${field}' is required.` : `'${field}' ${err.message ?? 'is invalid'}.`;
    throw new InvalidRequestError(message, { param: field, code: 'invalid_field' });
  }
  return body as T;
}
