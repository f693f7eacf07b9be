/**
 * The gateway's tracing interface (docs/ARCHITECTURE.md, "Tracing"). The request path only ever
 * talks to these two small interfaces; with tracing off they are the no-op objects below, so a
 * request pays a property read and a call that returns at once per step, and no OpenTelemetry
 * module is loaded at all. The OpenTelemetry implementation (tracing-otel.ts) is imported only
 * when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set.
 *
 * What goes into a span is an allow-list of attributes set by name (tracing-genai.ts,
 * pipeline/trace.ts): never a prompt, an answer, an error message or any header.
 */

/**
 * How long a shutdown waits at most for the last spans to reach the collector: a collector that is
 * down must not eat the time the process manager gives for settlements (the shutdown margins of
 * compose.yaml, railway.json and the Helm chart are larger).
 */
export const TRACE_FLUSH_TIMEOUT_MS = 5_000;

export type AttributeValue = string | number | boolean | string[];
export type Attributes = Record<string, AttributeValue | undefined>;

export interface TraceSpan {
  /** False for the no-op span: callers skip work that only feeds attributes. */
  readonly recording: boolean;
  /** The trace's id (32 hex digits), for the log line, sampled or not; undefined when tracing is off. */
  readonly traceId: string | undefined;
  /** Sets an attribute; undefined values are skipped. */
  set(key: string, value: AttributeValue | undefined): void;
  setAll(attributes: Attributes): void;
  /** A timestamped event on the span (e.g. the first token of a stream). */
  event(name: string, attributes?: Attributes): void;
  /** Marks the span failed: status ERROR and `error.type` (a code, never a message). */
  fail(errorType: string): void;
  end(): void;
  /** A child span started now. */
  child(name: string, attributes?: Attributes, kind?: 'client' | 'internal'): TraceSpan;
  /**
   * Ends the span when `work` settles (failed with the error's code when it rejects) and returns
   * `work` itself. Written `span.child('x').over(doWork())`, the child starts before the work.
   */
  over<T>(work: Promise<T>): Promise<T>;
  /** W3C trace-context headers (traceparent, tracestate) naming this span, for an outgoing call. */
  headers(): Record<string, string> | undefined;
}

export interface Tracer {
  readonly enabled: boolean;
  /** The span of one client request, a child of the client's traceparent when it sent a valid one. */
  startRequest(name: string, traceparent: string | undefined, tracestate: string | undefined, attributes: Attributes): TraceSpan;
  /** Exports what is still buffered and stops. */
  shutdown(): Promise<void>;
}

export const NOOP_SPAN: TraceSpan = {
  recording: false,
  traceId: undefined,
  set: () => undefined,
  setAll: () => undefined,
  event: () => undefined,
  fail: () => undefined,
  end: () => undefined,
  child: () => NOOP_SPAN,
  over: <T>(work: Promise<T>) => work,
  headers: () => undefined,
};

export const NOOP_TRACER: Tracer = {
  enabled: false,
  startRequest: () => NOOP_SPAN,
  shutdown: async () => undefined,
};

/** How the OpenTelemetry tracer is set up (tracing-setup.ts reads it from the environment). */
export interface TracingConfig {
  /** Where spans are posted (OTLP/HTTP). */
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
  sampler: string;
  samplerArg: number | undefined;
  instanceId: string;
  version: string;
}
