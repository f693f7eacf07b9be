import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from '../../../src/config/env.js';
import { NOOP_SPAN, NOOP_TRACER } from '../../../src/observability/tracing.js';
import { createTracer, tracingConfig, tracingNotice } from '../../../src/observability/tracing-setup.js';

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
    expect(() => loadEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' })).toThrow(/^Invalid environment variable OTEL_EXPORTER_OTLP_PROTOCOL: must be equal to one of the allowed values \(got "http\/xml"\)$/);
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

  it('starts with OTEL_EXPORTER_OTLP_PROTOCOL=grpc (often set for every service) and exports over http/protobuf, saying so once', () => {
    const vars = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
    expect(config(vars)).toMatchObject({ url: 'http://collector:4318/v1/traces', protocol: 'http/protobuf' });
    expect(tracingNotice(loadEnv(vars))).toMatch(/^OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: spans are exported over http\/protobuf instead/);
    expect(tracingNotice(loadEnv(vars))).not.toContain('4317');
    // The usual gRPC port will not answer OTLP/HTTP: the notice says what to change.
    const grpcPort = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    expect(config(grpcPort)?.protocol).toBe('http/protobuf');
    expect(tracingNotice(loadEnv(grpcPort))).toMatch(/^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc is not supported.*port 4317 is OTLP\/gRPC's: point the endpoint at the collector's OTLP\/HTTP port \(4318\)/);
    // The signal's own protocol wins: no notice. Nor with tracing off.
    expect(tracingNotice(loadEnv({ ...vars, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }))).toBeUndefined();
    expect(config({ ...vars, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' })?.protocol).toBe('http/json');
    expect(tracingNotice(loadEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }))).toBeUndefined();
    expect(tracingNotice(loadEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }))).toBeUndefined();
  });
});
