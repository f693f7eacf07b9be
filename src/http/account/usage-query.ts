import { InvalidRequestError } from '../../errors.js';
import type { UsageReportQuery } from '../../usage/usage-report.js';
import { clampInt, time } from '../query.js';

/** `tag=team:search` (repeatable) keeps requests carrying every given tag. */
export function tagFilter(value: unknown): Record<string, string> | null {
  const raw = value === undefined ? [] : Array.isArray(value) ? value : [value];
  if (raw.length === 0) return null;
  const out: Record<string, string> = {};
  for (const t of raw) {
    const i = typeof t === 'string' ? t.indexOf(':') : -1;
    if (i <= 0) throw new InvalidRequestError("'tag' must look like key:value.", { param: 'tag' });
    out[(t as string).slice(0, i)] = (t as string).slice(i + 1);
  }
  return out;
}

/** The usage report's query string: from/to (default: the last 30 days), limit, tags. */
export function readUsageQuery(q: Record<string, unknown>): UsageReportQuery {
  const now = Date.now();
  return {
    from: new Date(time(q.from, 'from', now - 30 * 86_400_000)).toISOString(),
    to: new Date(time(q.to, 'to', now + 60_000)).toISOString(),
    limit: clampInt(q.limit, 50, 1, 1000),
    tags: tagFilter(q.tag),
  };
}
