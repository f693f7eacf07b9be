import { InvalidRequestError } from '../errors.js';

/**
 * How deeply a JSON body may nest. Real requests nest a dozen levels at most (a tool's JSON
 * schema included); every later step that walks a body recursively (validation, the prompt
 * estimate, the cache key) is safe within this bound.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Checks a parsed body before anything walks it recursively: nesting within MAX_JSON_DEPTH, and
 * no NUL character in any string or key (no Postgres text can hold one, and no model needs one).
 * Iterative, so a hostile body cannot overflow the stack here either. `mayHoldNul` is false when
 * the raw text had no `\u0000` escape, which spares the string scan for almost every body.
 */
export function checkJsonBody(body: unknown, mayHoldNul: boolean): void {
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (mayHoldNul && value.includes('\u0000')) throw nulError();
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) {
      throw new InvalidRequestError(`The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`, { code: 'json_too_deep' });
    }
    if (Array.isArray(value)) {
      for (const v of value) if (v !== null && (typeof v === 'object' || mayHoldNul)) stack.push({ value: v, depth: depth + 1 });
    } else {
      for (const k in value) {
        if (mayHoldNul && k.includes('\u0000')) throw nulError();
        const v = (value as Record<string, unknown>)[k];
        if (v !== null && (typeof v === 'object' || mayHoldNul)) stack.push({ value: v, depth: depth + 1 });
      }
    }
  }
}

function nulError(): InvalidRequestError {
  return new InvalidRequestError('The request contains a NUL character (\\u0000), which no field accepts.', { code: 'invalid_character' });
}

/** Whether a raw URL (path or query) carries a NUL byte, escaped or not. */
export function urlHasNul(url: string): boolean {
  return url.includes('%00') || url.includes('\u0000');
}
