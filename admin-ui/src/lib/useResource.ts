import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api/client';

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => Promise<void>;
}

/** GETs an admin API path and keeps the answer; re-fetches when the path changes or on reload(). */
export function useResource<T>(path: string | null, refreshMs?: number): Resource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(path !== null);
  const current = useRef(path);
  current.current = path;

  const reload = useCallback(async () => {
    if (path === null) return;
    setLoading(true);
    try {
      const value = await api<T>('GET', path);
      if (current.current === path) {
        setData(value);
        setError(undefined);
      }
    } catch (err) {
      if (current.current === path) setError(err instanceof ApiError ? err : new ApiError(0, String(err), null, null));
    } finally {
      if (current.current === path) setLoading(false);
    }
  }, [path]);

  useEffect(() => {
    void reload();
    if (!refreshMs) return;
    const t = window.setInterval(() => void reload(), refreshMs);
    return () => window.clearInterval(t);
  }, [reload, refreshMs]);

  return { data, error, loading, reload };
}
