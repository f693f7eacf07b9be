import { InvalidRequestError } from '../errors.js';

const MAX_TAGS = 16;
const KEY_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Per-request tags for usage reporting: `x-tollgate-tags: team=search, feature=autocomplete`.
 * Stored on the request row; at most 16 tags, keys of [A-Za-z0-9_.:-], values up to 256 characters.
 */
export function parseTags(header: string | string[] | undefined): Record<string, string> | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const tags: Record<string, string> = {};
  const parts = header.split(',');
  if (parts.length > MAX_TAGS) throw new InvalidRequestError(`x-tollgate-tags holds at most ${MAX_TAGS} tags.`, { param: 'x-tollgate-tags', code: 'invalid_tags' });
  for (const part of parts) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const value = eq < 0 ? '' : decodeTagValue(part.slice(eq + 1).trim());
    if (!KEY_RE.test(key) || value === undefined || value.length > 256 || value.includes('\u0000')) {
      throw new InvalidRequestError(`Invalid tag '${part.trim()}' in x-tollgate-tags: use key=value pairs, keys of letters, digits and _.:- (at most 64), values up to 256 characters (percent-encoded where needed, no NUL).`, {
        param: 'x-tollgate-tags',
        code: 'invalid_tags',
      });
    }
    tags[key] = value;
  }
  return tags;
}

/** A percent-encoded tag value; undefined when its escapes are malformed. */
function decodeTagValue(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
