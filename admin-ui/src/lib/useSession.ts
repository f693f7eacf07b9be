import { useSyncExternalStore } from 'react';
import { session } from '../api/client';
import type { AdminPermission, AdminSession } from '../api/types';

/** Who is signed in (undefined while the panel asks the gateway, null when nobody is). */
export function useMe(): AdminSession | null | undefined {
  return useSyncExternalStore(session.subscribe, () => session.me);
}

/**
 * Whether the signed-in caller's role allows `need` (undefined: nothing needed). The panel hides
 * what it does not; the gateway checks every call itself, this only keeps refused buttons out of sight.
 */
export function useAllowed(need: AdminPermission | undefined): boolean {
  const me = useMe();
  return need === undefined || (me?.permissions.includes(need) ?? false);
}
