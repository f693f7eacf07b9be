import { NOOP_TRACER, type Tracer, type TracingConfig } from './tracing.js';

/**
 * Turning tracing on (docs/ARCHITECTURE.md, "Tracing"): the OpenTelemetry implementation
 * (tracing-otel.ts) is imported here, and only when the environment asks for it.
 */

type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** The OpenTelemetry settings the gateway reads itself (the SDK reads the rest of the OTEL_* variables). */
export interface TracingEnv {
  OTEL_SDK_DISABLED?: boolean;
  OTEL_TRACES_EXPORTER?: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_PROTOCOL?: OtlpProtocol;
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: OtlpProtocol;
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
    protocol: requestedProtocol(env).value === 'http/json' ? 'http/json' : 'http/protobuf',
    serviceName: env.OTEL_SERVICE_NAME ?? 'tollgate',
    sampler: env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
    samplerArg: env.OTEL_TRACES_SAMPLER_ARG,
    instanceId,
    version,
  };
}

/** The OTLP protocol asked for, and by which variable (the signal's own wins). */
function requestedProtocol(env: TracingEnv): { value: OtlpProtocol; variable: string } {
  if (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) return { value: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, variable: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' };
  return { value: env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf', variable: 'OTEL_EXPORTER_OTLP_PROTOCOL' };
}

/**
 * What the operator should know about the tracing settings, logged once at start: OTLP/gRPC is
 * not supported (its exporter would add a gRPC stack to the image for what OTLP/HTTP already
 * does), so `grpc`, often set for every service of a deployment, exports over http/protobuf.
 */
export function tracingNotice(env: TracingEnv): string | undefined {
  const url = tracingConfig(env, '', '')?.url;
  const { value, variable } = requestedProtocol(env);
  if (!url || value !== 'grpc') return undefined;
  const onGrpcPort = new URL(url).port === '4317';
  return (
    `${variable}=grpc is not supported: spans are exported over http/protobuf instead` +
    (onGrpcPort
      ? `; port 4317 is OTLP/gRPC's: point the endpoint at the collector's OTLP/HTTP port (4318), or spans will not arrive`
      : `; set OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf to say so explicitly`)
  );
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
