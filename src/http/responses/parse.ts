import type { ChatRequest } from '../../canonical/index.js';
import { InvalidRequestError } from '../../errors.js';
import { checkToolResults } from '../tool-results.js';
import { compileValidator } from '../validation.js';
import { RESPONSES_FIELDS, type Draft } from './fields.js';
import { inputToMessages } from './input.js';
import { responsesSchema, type WireResponsesBody } from './schema.js';

const validate = compileValidator<WireResponsesBody>(responsesSchema);
const FIELD_ORDER = Object.keys(RESPONSES_FIELDS);

/**
 * Validates a Responses API body and converts it to the canonical request, walking the field
 * table in its order (tools before tool_choice). Unknown fields are a 400, as OpenAI answers them.
 */
export function parseResponsesRequest(body: unknown): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidRequestError('The request body must be a JSON object.');
  const b = validate(body);
  for (const key in b) {
    if (!(key in RESPONSES_FIELDS)) throw new InvalidRequestError(`Unknown parameter: '${key}'.`, { param: key, code: 'unknown_parameter' });
  }
  const d: Draft = { req: { model: b.model, messages: [], stream: false, includeUsage: false, params: {} } };
  for (const key of FIELD_ORDER) {
    const value = b[key];
    if (value == null) continue;
    const rule = RESPONSES_FIELDS[key]!;
    if ('unsupported' in rule) {
      const why = typeof rule.unsupported === 'function' ? rule.unsupported(value as never) : rule.unsupported;
      if (why) {
        throw new InvalidRequestError(`Parameter '${key}' is not supported by the gateway${why === true ? '.' : `: ${why}.`}`, { param: key, code: 'unsupported_parameter' });
      }
    }
    rule.apply?.(value as never, d);
  }
  if (d.input === undefined) throw new InvalidRequestError("Missing required parameter: 'input'.", { param: 'input' });
  const messages = inputToMessages(d.input);
  if (d.instructions) messages.unshift({ role: 'system', text: d.instructions });
  checkToolResults(messages, (i) => `input[${d.instructions ? i - 1 : i}]`);
  d.req.messages = messages;
  return d.req;
}
