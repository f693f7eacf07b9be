import { diag, DiagLogLevel, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer as OtelTracer } from '@opentelemetry/api';
import { setGlobalErrorHandler, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { TRACE_FLUSH_TIMEOUT_MS, type AttributeValue, type Attributes, type TraceSpan, type Tracer, type TracingConfig } from './tracing.js';

/**
 * The OpenTelemetry implementation of the tracing interface, loaded only when tracing is on
 * (tracing-setup.ts). Spans are batched (BatchSpanProcessor, tuned by the OTEL_BSP_* variables) and
 * posted over OTLP/HTTP; the exporter reads OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and _COMPRESSION
 * itself. Parents are passed explicitly (no context manager, no global registration): the
 * request context carries its span, so nothing else in the process is instrumented by accident.
 */

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  get: (carrier: Record<string, string | undefined>, key: string) => carrier[key],
  keys: (carrier: Record<string, string | undefined>) => Object.keys(carrier),
};
const headerSetter = { set: (carrier: Record<string, string>, key: string, value: string) => void (carrier[key] = value) };

function samplerFor(name: string, arg: number | undefined): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(arg ?? 1);
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function cleaned(attributes: Attributes | undefined): Record<string, AttributeValue> | undefined {
  if (!attributes) return undefined;
  const out: Record<string, AttributeValue> = {};
  for (const k in attributes) {
    const v = attributes[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

class OtelSpan implements TraceSpan {
  readonly recording: boolean;
  private ctx: Context | undefined;

  constructor(
    private readonly tracer: OtelTracer,
    readonly span: Span,
  ) {
    this.recording = span.isRecording();
  }

  /** Also when the request is not sampled: its log line still joins the client's trace. */
  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  private context(): Context {
    return (this.ctx ??= trace.setSpan(ROOT_CONTEXT, this.span));
  }

  set(key: string, value: AttributeValue | undefined): void {
    if (value !== undefined) this.span.setAttribute(key, value);
  }

  setAll(attributes: Attributes): void {
    this.span.setAttributes(cleaned(attributes)!);
  }

  event(name: string, attributes?: Attributes): void {
    this.span.addEvent(name, cleaned(attributes));
  }

  fail(errorType: string): void {
    this.span.setAttribute('error.type', errorType);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
  }

  end(): void {
    this.span.end();
  }

  child(name: string, attributes?: Attributes, kind: 'client' | 'internal' = 'internal'): TraceSpan {
    // A request that is not sampled records nothing below it either: its own (non-recording) span
    // stands for every step, and still propagates the trace context to the provider.
    if (!this.recording) return this;
    const span = this.tracer.startSpan(name, { kind: kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes: cleaned(attributes) }, this.context());
    return new OtelSpan(this.tracer, span);
  }

  over<T>(work: Promise<T>): Promise<T> {
    if (!this.recording) return work;
    return work.then(
      (value) => {
        this.span.end();
        return value;
      },
      (err: unknown) => {
        this.fail(errorType(err));
        this.span.end();
        throw err;
      },
    );
  }

  headers(): Record<string, string> | undefined {
    const carrier: Record<string, string> = {};
    propagator.inject(this.context(), carrier, headerSetter);
    return carrier;
  }
}

/** An error's code or kind (GatewayError), else its class name: never its message. */
function errorType(err: unknown): string {
  const e = err as { code?: unknown; kind?: unknown; name?: unknown } | undefined;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.kind === 'string') return e.kind;
  return typeof e?.name === 'string' ? e.name : 'error';
}

const REPORT_EVERY_MS = 60_000;

/**
 * The SDK's failures (an export the collector refused or never got, spans dropped from a full
 * queue) as one warning a minute at most, with how many more there were: a collector that is
 * down fails every batch, and spans are lost, so it must be seen but not flood the log.
 */
function reportProblems(warn: (problem: string) => void): void {
  let last = -Infinity;
  let more = 0;
  const report = (problem: unknown) => {
    const now = Date.now();
    if (now - last < REPORT_EVERY_MS) {
      more++;
      return;
    }
    last = now;
    const text = (problem instanceof Error ? problem.message : String(problem)).slice(0, 300);
    warn(more ? `${text} (and ${more} more problems since the last report)` : text);
    more = 0;
  };
  setGlobalErrorHandler(report);
  const quiet = () => undefined;
  diag.setLogger({ error: report, warn: report, info: quiet, debug: quiet, verbose: quiet }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}

/** Rejects when the last export does not finish in time (the caller logs it and goes on). */
async function boundedShutdown(provider: BasicTracerProvider, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([provider.shutdown(), timedOut]);
    if (outcome === 'timeout') throw new Error(`the last spans were not exported within ${timeoutMs} ms; they are lost`);
  } finally {
    clearTimeout(timer);
  }
}

/** `warn` receives the SDK's export failures and warnings (rate-limited), never span content. */
export function createOtelTracer(config: TracingConfig, warn: (problem: string) => void): Tracer {
  reportProblems(warn);
  const Exporter = config.protocol === 'http/json' ? JsonExporter : ProtobufExporter;
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': config.serviceName, 'service.version': config.version, 'service.instance.id': config.instanceId }))
    // OTEL_RESOURCE_ATTRIBUTES add to (or override) the above; OTEL_SERVICE_NAME is applied last.
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ 'service.name': config.serviceName }));
  const provider = new BasicTracerProvider({
    resource,
    sampler: samplerFor(config.sampler, config.samplerArg),
    spanProcessors: [new BatchSpanProcessor(new Exporter({ url: config.url }))],
  });
  const tracer = provider.getTracer('tollgate', config.version);
  return {
    enabled: true,
    startRequest(name, traceparent, tracestate, attributes) {
      const parent = traceparent ? propagator.extract(ROOT_CONTEXT, { traceparent, tracestate }, headerGetter) : ROOT_CONTEXT;
      return new OtelSpan(tracer, tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: cleaned(attributes) }, parent));
    },
    // The exporter's own timeout and retries (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s by default, and
    // more with its retries) could outlast the process manager's grace period: what is not
    // exported by then is lost, and the shutdown goes on.
    shutdown: () => boundedShutdown(provider, TRACE_FLUSH_TIMEOUT_MS),
  };
}
