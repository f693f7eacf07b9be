import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from '../../../src/config/env.js';
import { NOOP_SPAN, NOOP_TRACER } from '../../../src/observability/tracing.js';
import { createTracer, tracingConfig } from '../../../src/observability/tracing-setup.js';

const config = (vars: Record<string, string>) => tracingConfig(loadEnv(vars), 'node-1', '1.2.3');

describe('tracing configuration (OTEL_* variables)', () => {
  it('is off without an OTLP endpoint, and the tracer is the no-op one', async () => {
    expect(config({})).toBeUndefined();
    expect(await createTracer(loadEnv({}), 'node-1', '1.2.3')).toBe(NOOP_TRACER);
    expect(NOOP_TRACER.startRequest('POST /x', undefined, undefined, {})).toBe(NOOP_SPAN);
  });

  it('posts to <OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces, or to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is', () => {
    expect(config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'tollgate',
      sampler: 'parentbased_always_on',
      instanceId: 'node-1',
      version: '1.2.3',
    });
    expect(config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/otlp/spans' })?.url).toBe('https://b/otlp/spans');
    expect(config({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/otlp/spans' })?.url).toBe('https://b/otlp/spans');
  });

  it('takes the signal-specific protocol over the general one, the service name and the sampler', () => {
    const c = config({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'gateway-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(c).toMatchObject({ protocol: 'http/json', serviceName: 'gateway-eu', sampler: 'parentbased_traceidratio', samplerArg: 0.25 });
  });

  it('is off with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, endpoint or not', () => {
    expect(config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'false' })).toBeDefined();
  });

  it('refuses what it cannot do with a clear error, never echoing an endpoint', () => {
    expect(() => loadEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/^Invalid environment variable OTEL_EXPORTER_OTLP_PROTOCOL: must be equal to one of the allowed values \(got "grpc"\)$/);
    expect(() => loadEnv({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(EnvError);
    expect(() => loadEnv({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    let message = '';
    try {
      loadEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector-with-token-abc:4318' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Invalid environment variable OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(message).not.toContain('token-abc');
  });
});
