import { describe, expect, it } from 'vitest';
import type { BreakerState as PanelBreakerState } from '../../../admin-ui/src/api/types.js';
import type { BreakerState } from '../../../src/upstream/breakers.js';

// Compile-time: the panel's mirror of BreakerState must accept exactly what the gateway reports.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const breakerTypesMatch: Same<BreakerState, PanelBreakerState> = true;

describe('admin panel API types', () => {
  it('mirror the gateway health report (checked by the typecheck)', () => {
    expect(breakerTypesMatch).toBe(true);
  });
});
