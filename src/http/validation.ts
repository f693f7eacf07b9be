import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InvalidRequestError } from '../errors.js';

const ajv = new Ajv({ allErrors: false, strict: false });

/** Compiles a schema once; the returned checker returns the body typed, or throws a 400 naming the field. */
export function compileValidator<T>(schema: object): (body: unknown) => T {
  const validate: ValidateFunction = ajv.compile(schema);
  return (body: unknown): T => {
    if (!validate(body)) throw new InvalidRequestError(describe(validate.errors?.[0]), { param: paramOf(validate.errors?.[0]) });
    return body as T;
  };
}

function paramOf(err: ErrorObject | undefined): string | null {
  if (!err) return null;
  const path = err.instancePath
    .split('/')
    .filter(Boolean)
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
  const missing = (err.params as { missingProperty?: string }).missingProperty;
  if (missing) return path ? `${path}.${missing}` : missing;
  return path || null;
}

function describe(err: ErrorObject | undefined): string {
  if (!err) return 'Invalid request body.';
  const where = paramOf(err);
  const missing = (err.params as { missingProperty?: string }).missingProperty;
  if (missing) return `Missing required parameter: '${where}'.`;
  if (err.keyword === 'enum') {
    const allowed = (err.params as { allowedValues?: unknown[] }).allowedValues ?? [];
    return `Invalid value for '${where}': must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}.`;
  }
  if (err.keyword === 'const') {
    return `Invalid value for '${where}': must be ${JSON.stringify((err.params as { allowedValue?: unknown }).allowedValue)}.`;
  }
  if (err.keyword === 'anyOf') return `Invalid type or value for '${where}'.`;
  return `Invalid value for '${where ?? 'body'}': ${err.message ?? 'invalid'}.`;
}
