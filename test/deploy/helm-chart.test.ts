import { describe, expect, it } from 'vitest';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { loadChart, renderChart, type RenderOptions } from '../helpers/helm-template.js';
import { loadEnv } from '../../src/config/env.js';
import { TRACE_FLUSH_TIMEOUT_MS } from '../../src/observability/tracing.js';

/** deploy/helm/tollgate rendered as `helm template` would, each manifest checked against the Kubernetes schema. */
const chart = loadChart('deploy/helm/tollgate');
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
};

const trialSecrets = {
  secrets: {
    databaseUrl: 'postgres://tollgate:pw@postgres:5432/tollgate',
    redisUrl: 'redis://redis:6379',
    encryptionKey: 'dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=',
    adminToken: 'an-admin-token-of-length',
  },
};

function render(values: Record<string, unknown>, opts: Omit<RenderOptions, 'values'> = {}) {
  const docs = renderChart(chart, { ...opts, values });
  for (const doc of docs) {
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    expect(Model, `a schema for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
    expect(() => new Model!(doc).validate(), `${doc.kind} ${doc.metadata?.name}`).not.toThrow();
  }
  const one = (kind: string) => docs.find((d) => d.kind === kind);
  const deployment = one('Deployment')!;
  const container = deployment.spec.template.spec.containers[0];
  const env = Object.fromEntries((container.env as Array<{ name: string; value?: string; valueFrom?: any }>).map((e) => [e.name, e.value ?? e.valueFrom]));
  return { docs, kinds: docs.map((d) => d.kind).sort(), one, deployment, container, env };
}

describe('the Helm chart', () => {
  it('renders the defaults (with trial secrets) into valid manifests: Deployment, Service, HPA, PDB, migration Job, Secret', () => {
    const { docs, kinds, one, deployment, container, env } = render(trialSecrets, { releaseName: 'prod' });
    expect(kinds).toEqual(['Deployment', 'HorizontalPodAutoscaler', 'Job', 'PodDisruptionBudget', 'Secret', 'Secret', 'Service']);
    expect(deployment.metadata.name).toBe('prod-tollgate');
    expect(deployment.spec.replicas, 'the HPA owns the replica count').toBeUndefined();
    expect(container.image).toBe(`tollgate:${chart.appVersion}`);
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    expect(container.startupProbe.httpGet.path).toBe('/health');
    expect(container.resources).toEqual({ requests: { cpu: '500m', memory: '320Mi' }, limits: { cpu: '2', memory: '512Mi' } });
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(env.INSTANCE_ID).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    // While Redis is unreachable each replica enforces 1/N of every limit in memory
    // (src/limits/limiters.ts): N is the most replicas the HPA may run, so the sum never exceeds a limit.
    expect(env.LIMITS_EXPECTED_INSTANCES).toBe('12');
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'ENCRYPTION_KEY', 'ADMIN_TOKEN']) expect(env[name].secretKeyRef, name).toEqual({ name: 'prod-tollgate-trial', key: name });
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();

    // A changed trial secret rolls the pods.
    const checksum = deployment.spec.template.metadata.annotations['checksum/secret'];
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    const rotated = render({ secrets: { ...trialSecrets.secrets, adminToken: 'another-admin-token-000' } });
    expect(rotated.deployment.spec.template.metadata.annotations['checksum/secret']).not.toBe(checksum);

    // The trial Secret twice: a release resource for the pods (removed by `helm uninstall`), and a
    // hook copy the migration Job (a pre-install hook, before any release resource exists) reads,
    // deleted once the hooks ran, failed or not, so nothing is left behind.
    const [hookSecret, secret] = docs.filter((d) => d.kind === 'Secret').sort((a, b) => Number(Boolean(b.metadata.annotations)) - Number(Boolean(a.metadata.annotations)));
    expect(secret!.metadata.name).toBe('prod-tollgate-trial');
    expect(secret!.metadata.annotations).toBeUndefined();
    expect(secret!.stringData.DATABASE_URL).toBe(trialSecrets.secrets.databaseUrl);
    expect(hookSecret!.stringData).toEqual(secret!.stringData);
    expect(hookSecret!.metadata.name).toBe('prod-tollgate');
    expect(hookSecret!.metadata.annotations['helm.sh/hook-delete-policy'].split(',').sort()).toEqual(['before-hook-creation', 'hook-failed', 'hook-succeeded']);
    const job = one('Job')!;
    expect(job.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(hookSecret!.metadata.annotations['helm.sh/hook']).toBe(job.metadata.annotations['helm.sh/hook']);
    expect(Number(hookSecret!.metadata.annotations['helm.sh/hook-weight'])).toBeLessThan(Number(job.metadata.annotations['helm.sh/hook-weight']));
    for (const e of job.spec.template.spec.containers[0].env) expect(e.valueFrom.secretKeyRef.name, e.name).toBe('prod-tollgate');
    expect(job.spec.template.spec.containers[0].command).toEqual(['node', 'dist/src/migrate-cli.js']);
    expect(one('HorizontalPodAutoscaler')!.spec.metrics[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } });
    expect(one('PodDisruptionBudget')!.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(one('Service')!.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it('passes the drain and the settlement wait to the gateway and gives the pod both plus the margins as its grace period, from the same values', () => {
    const defaults = render(trialSecrets);
    expect(defaults.env.SHUTDOWN_DEADLINE_MS).toBe('30000');
    expect(defaults.env.SHUTDOWN_SETTLE_MS).toBe('15000');
    // The gateway's own defaults are the chart's (config-schema/env.schema.json).
    expect(loadEnv({}).SHUTDOWN_DEADLINE_MS).toBe(30_000);
    expect(loadEnv({}).SHUTDOWN_SETTLE_MS).toBe(15_000);
    expect(defaults.deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(5 + 30 + 15 + 10);
    expect(defaults.container.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    const long = render({ ...trialSecrets, shutdown: { drainSeconds: 300, settleSeconds: 40 } });
    expect(long.env.SHUTDOWN_DEADLINE_MS).toBe('300000');
    expect(long.env.SHUTDOWN_SETTLE_MS).toBe('40000');
    expect(long.deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(5 + 300 + 40 + 10);
    // The margin covers the last span export, which the gateway bounds (src/observability/tracing.ts).
    expect(10_000).toBeGreaterThan(TRACE_FLUSH_TIMEOUT_MS);
    // Every plain variable the chart sets is one the gateway accepts.
    const plain = Object.fromEntries(Object.entries(long.env).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    const loaded = loadEnv(plain);
    expect(loaded.SHUTDOWN_SETTLE_MS).toBe(40_000);
  });

  it('refuses to render more Postgres connections at full scale than postgres.maxConnections allows', () => {
    // Pods at most: the HPA's maximum plus the rolling update's surge (25%, rounded up); each opens
    // DATABASE_POOL_SIZE pooled connections and one for LISTEN.
    const defaults = render(trialSecrets);
    expect(defaults.env.DATABASE_POOL_SIZE).toBe('5');
    expect(defaults.deployment.spec.strategy.rollingUpdate.maxSurge).toBe('25%');
    expect((12 + 3) * (5 + 1)).toBeLessThanOrEqual((chart.values.postgres as { maxConnections: number }).maxConnections);
    expect(() => render({ ...trialSecrets, env: { DATABASE_POOL_SIZE: '10' } })).toThrow(
      /15 pods × \(DATABASE_POOL_SIZE 10 \+ 1 LISTEN\) = 165 Postgres connections, more than postgres.maxConnections \(90\)/,
    );
    expect(() => render({ ...trialSecrets, autoscaling: { maxReplicas: 14 } })).toThrow(/18 pods × \(DATABASE_POOL_SIZE 5 \+ 1 LISTEN\) = 108/);
    // A bigger server (or a pooler's limit), a fixed replica count, or the check turned off.
    expect(render({ ...trialSecrets, env: { DATABASE_POOL_SIZE: '10' }, postgres: { maxConnections: 200 } }).env.DATABASE_POOL_SIZE).toBe('10');
    expect(render({ ...trialSecrets, env: { DATABASE_POOL_SIZE: '10' }, autoscaling: { enabled: false }, replicaCount: 6 }).deployment.spec.replicas).toBe(6);
    expect(() => render({ ...trialSecrets, env: { DATABASE_POOL_SIZE: '10' }, autoscaling: { enabled: false }, replicaCount: 7 })).toThrow(/9 pods/);
    expect(render({ ...trialSecrets, env: { DATABASE_POOL_SIZE: '50' }, postgres: { maxConnections: 0 } }).env.DATABASE_POOL_SIZE).toBe('50');
    // Without DATABASE_POOL_SIZE in env the gateway's own default counts.
    expect(() => render({ ...trialSecrets, env: { DATABASE_POOL_SIZE: null } })).toThrow(new RegExp(`DATABASE_POOL_SIZE ${loadEnv({}).DATABASE_POOL_SIZE} \\+`));
  });

  it('reads every secret from an existing Secret and creates none', () => {
    const { kinds, env, one, deployment } = render({ existingSecret: 'tollgate-prod', secretKeys: { adminToken: 'admin-token' } });
    expect(kinds).not.toContain('Secret');
    expect(deployment.spec.template.metadata).not.toHaveProperty('annotations');
    expect(env.ADMIN_TOKEN.secretKeyRef).toEqual({ name: 'tollgate-prod', key: 'admin-token' });
    expect(env.DATABASE_URL.secretKeyRef).toEqual({ name: 'tollgate-prod', key: 'DATABASE_URL' });
    expect(env.METRICS_TOKEN.secretKeyRef).toEqual({ name: 'tollgate-prod', key: 'METRICS_TOKEN', optional: true });
    expect(one('Job')!.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef).toEqual({ name: 'tollgate-prod', key: 'DATABASE_URL' });
  });

  it('refuses to render without secrets or an existing Secret', () => {
    expect(() => renderChart(chart, {})).toThrow(/secrets.databaseUrl \(or existingSecret\) is required/);
  });

  it('runs a fixed replica count without the HPA', () => {
    const { kinds, deployment, env } = render({ ...trialSecrets, autoscaling: { enabled: false }, replicaCount: 5 });
    expect(kinds).not.toContain('HorizontalPodAutoscaler');
    expect(deployment.spec.replicas).toBe(5);
    expect(env.LIMITS_EXPECTED_INSTANCES).toBe('5');
    expect(render({ ...trialSecrets, autoscaling: { maxReplicas: 8 } }).env.LIMITS_EXPECTED_INSTANCES).toBe('8');
  });

  it('adds an Ingress that does not buffer streams', () => {
    const { one } = render({
      ...trialSecrets,
      ingress: { enabled: true, className: 'nginx', hosts: [{ host: 'ai.example.com', paths: [{ path: '/', pathType: 'Prefix' }] }], tls: [{ secretName: 'ai-tls', hosts: ['ai.example.com'] }] },
    });
    const ingress = one('Ingress')!;
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'tollgate', port: { name: 'http' } });
    expect(ingress.spec.tls[0].secretName).toBe('ai-tls');
  });

  it('passes OpenTelemetry, extra environment and a direct database URL through when set', () => {
    const { env, one } = render({
      existingSecret: 'tg',
      secretKeys: { databaseDirectUrl: 'DATABASE_DIRECT_URL' },
      otel: { endpoint: 'http://otel-collector:4318' },
      env: { LOG_LEVEL: 'debug' },
      extraEnv: [{ name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'providers', key: 'openai' } } }],
    });
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector:4318');
    expect(env.OTEL_SERVICE_NAME).toBe('tollgate');
    expect(env.LOG_LEVEL).toBe('debug');
    expect(env.OPENAI_API_KEY.secretKeyRef).toEqual({ name: 'providers', key: 'openai' });
    expect(env.DATABASE_DIRECT_URL.secretKeyRef).toEqual({ name: 'tg', key: 'DATABASE_DIRECT_URL' });
    // Migrations hold a transaction-scoped lock, which PgBouncer in transaction mode keeps: no direct URL needed.
    expect(one('Job')!.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name)).toEqual(['DATABASE_URL']);
  });
});
