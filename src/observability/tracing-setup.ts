import { NOOP_TRACER, type Tracer, type TracingConfig } from './tracing.js';

/**
 * Turning tracing on (docs/ARCHITECTURE.md, "Tracing"): the OpenTelemetry implementation
 * (tracing-otel.ts) is imported here, and only when the environment asks for it.
 */

/** The OpenTelemetry settings the gateway reads itself (the SDK reads the rest of the OTEL_* variables). */
export interface TracingEnv {
  OTEL_SDK_DISABLED?: boolean;
  OTEL_TRACES_EXPORTER?: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_PROTOCOL?: 'http/protobuf' | 'http/json';
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: 'http/protobuf' | 'http/json';
  OTEL_EXPORTER_OTLP_HEADERS?: string;
  OTEL_SERVICE_NAME?: string;
  OTEL_TRACES_SAMPLER?: string;
  OTEL_TRACES_SAMPLER_ARG?: number;
}

/**
 * Whether tracing is on, and how: on when an OTLP endpoint is set, unless OTEL_SDK_DISABLED is
 * true or OTEL_TRACES_EXPORTER is "none". The signal-specific endpoint is used as is; the general
 * one gets `/v1/traces` appended (the OTLP exporter specification's rule).
 */
export function tracingConfig(env: TracingEnv, instanceId: string, version: string): TracingConfig | undefined {
  if (env.OTEL_SDK_DISABLED || env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!url) return undefined;
  return {
    url,
    protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    serviceName: env.OTEL_SERVICE_NAME ?? 'tollgate',
    sampler: env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
    samplerArg: env.OTEL_TRACES_SAMPLER_ARG,
    instanceId,
    version,
  };
}

/**
 * The tracer the environment asks for; the OpenTelemetry SDK is loaded only when tracing is on.
 * `warn` hears of spans that could not be exported (at most once a minute).
 */
export async function createTracer(env: TracingEnv, instanceId: string, version: string, warn: (problem: string) => void = () => undefined): Promise<Tracer> {
  const config = tracingConfig(env, instanceId, version);
  if (!config) return NOOP_TRACER;
  const { createOtelTracer } = await import('./tracing-otel.js');
  return createOtelTracer(config, warn);
}
