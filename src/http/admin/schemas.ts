import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { Static, TSchema } from '@sinclair/typebox';
import { InvalidRequestError } from '../../errors.js';

const ajv = new Ajv({ allErrors: false, strict: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);

function fieldOf(err: ErrorObject): string {
  const base = err.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = (err.params as { missingProperty?: string }).missingProperty;
  const extra = (err.params as { additionalProperty?: string }).additionalProperty;
  const leaf = missing ?? extra;
  return leaf ? (base ? `${base}.${leaf}` : leaf) : base || 'body';
}

function fieldError(err: ErrorObject): InvalidRequestError {
  const field = fieldOf(err);
  const extra = (err.params as { additionalProperty?: string }).additionalProperty;
  const allowed = (err.params as { allowedValues?: unknown[] }).allowedValues;
  const message = extra
    ? `Unknown field '${field}'.`
    : err.keyword === 'required'
      ? `'${field}' is required.`
      : allowed
        ? `'${field}' must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}.`
        : `'${field}' ${err.message ?? 'is invalid'}.`;
  return new InvalidRequestError(message, { param: field, code: 'invalid_field' });
}

/**
 * Compiles an admin body schema (src/sdk/admin-api) once. The returned parser gives back the body
 * typed by that same schema, or throws a 400 whose `param` names the field, so the panel can show it there.
 */
export function bodyParser<S extends TSchema>(schema: S): (body: unknown) => Static<S> {
  const validate = ajv.compile<Static<S>>(schema);
  return (body) => {
    if (validate(body)) return body;
    throw fieldError(validate.errors![0]!);
  };
}
