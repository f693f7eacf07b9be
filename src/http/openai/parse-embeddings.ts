import type { EmbeddingsRequest } from '../../canonical/index.js';
import { InvalidRequestError } from '../../errors.js';
import { compileValidator } from '../validation.js';
import { embeddingsSchema, KNOWN_EMBEDDINGS_FIELDS } from './schemas.js';

interface WireEmbeddingsBody {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  [extra: string]: unknown;
}

const validateEmbeddings = compileValidator<WireEmbeddingsBody>(embeddingsSchema);

export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.');
  }
  const b = validateEmbeddings(body);
  const req: EmbeddingsRequest = { model: b.model, input: [], single: false };
  if (typeof b.input === 'string') {
    req.input = [b.input];
    req.single = true;
  } else if (typeof b.input[0] === 'string') {
    req.input = b.input as string[];
  } else {
    req.tokenInput = b.input as number[] | number[][];
    req.single = typeof b.input[0] === 'number';
  }
  if (req.input.some((s) => s.length === 0)) throw new InvalidRequestError("'input' must not contain empty strings.", { param: 'input' });
  if (b.encoding_format) req.encodingFormat = b.encoding_format;
  if (b.dimensions !== undefined) req.dimensions = b.dimensions;
  if (b.user !== undefined) req.user = b.user;
  for (const key in b) {
    if (!KNOWN_EMBEDDINGS_FIELDS.has(key) && b[key] != null) (req.extra ??= {})[key] = b[key];
  }
  return req;
}
