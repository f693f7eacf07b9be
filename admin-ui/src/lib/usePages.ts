import { useEffect, useState } from 'react';
import { api, withQuery } from '../api/client';
import type { List } from '../api/types';

/**
 * A list the API pages back in time (`nextBefore`): the first page loads when `path` or `version`
 * changes; more() appends the next one.
 */
export function usePages<T>(path: string, version: unknown = 0) {
  const [rows, setRows] = useState<T[]>();
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const load = async (before?: string) => {
    setLoading(true);
    try {
      const page = await api<List<T>>('GET', withQuery(path, { before }));
      setRows((r) => (before ? [...(r ?? []), ...page.data] : page.data));
      setNext(page.nextBefore ?? null);
      setError(undefined);
    } catch (err) {
      setError(err as Error);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void load(), [path, version]);
  return { rows, error, loading, hasMore: next !== null, reload: () => load(), more: () => (next ? load(next) : Promise.resolve()) };
}
