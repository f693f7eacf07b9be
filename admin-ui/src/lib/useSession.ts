import { useSyncExternalStore } from 'react';
import { session } from '../api/client';
import type { AdminPermission, AdminSession } from '../api/types';

/** Who is signed in (undefined while the panel asks the gateway, null when nobody is). */
export function useMe(): AdminSession | null | undefined {
  return useSyncExternalStore(session.subscribe, () => session.me);
}

/**
 * Whether the signed-in caller's role allows this: the panel hides what it does not. The gateway
 * checks every call itself; this only keeps buttons that would be refused out of sight.
 */
export function useCan(permission: AdminPermission): boolean {
  return useMe()?.permissions.includes(permission) ?? false;
}

/** Like useCan, for components that may need no permission at all (`need` undefined: allowed). */
export function useAllowed(need: AdminPermission | undefined): boolean {
  const me = useMe();
  return need === undefined || (me?.permissions.includes(need) ?? false);
}
