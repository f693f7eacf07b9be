/**
 * Fault injection for the mock upstream. Tests register rules through POST /_mock/faults; each
 * rule matches requests (by provider, model, and/or a substring of the body) and applies to the
 * next `times` of them.
 */
export type Fault =
  /** Answer with this HTTP status and the provider's own error body (and Retry-After if given). */
  | { type: 'status'; status: number; retryAfter?: number; message?: string }
  /** Wait this long before sending response headers. */
  | { type: 'slow_first_byte'; ms: number }
  /** Stream: send this many events, then destroy the connection. Non-stream: cut the body half-way. */
  | { type: 'cut_stream'; afterEvents: number }
  /** 200 with a body that is not valid JSON (or a stream event that is not). */
  | { type: 'malformed' }
  /** Destroy the socket without answering. */
  | { type: 'reset' }
  /** Stream: wait this long between events. */
  | { type: 'slow_events'; ms: number }
  /** Stream: send this many events, then the provider's in-stream error event for `status` (e.g. Anthropic's `event: error`). */
  | { type: 'stream_error'; afterEvents: number; status: number; message?: string };

export interface FaultRule {
  provider?: string;
  model?: string;
  /** Substring the raw request body must contain. */
  match?: string;
  /** The provider API key the request must carry (Authorization, x-api-key or x-goog-api-key). */
  key?: string;
  /** How many matching requests the fault applies to (default 1; 0 = every one). */
  times?: number;
  fault: Fault;
}

interface ActiveRule extends FaultRule {
  remaining: number;
}

export class FaultBook {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, remaining: rule.times ?? 1 });
  }

  clear(): void {
    this.rules = [];
  }

  /** The first rule matching this request, consumed once. */
  take(provider: string, model: string, rawBody: string, key?: string): Fault | undefined {
    for (const r of this.rules) {
      if (r.provider && r.provider !== provider) continue;
      if (r.key && r.key !== key) continue;
      if (r.model && r.model !== model) continue;
      if (r.match && !rawBody.includes(r.match)) continue;
      if (r.times !== 0) {
        r.remaining--;
        if (r.remaining <= 0) this.rules = this.rules.filter((x) => x !== r);
      }
      return r.fault;
    }
    return undefined;
  }
}
