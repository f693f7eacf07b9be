import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey, seedMockCatalogue } from '../helpers/catalogue.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The default OTLP encoding (http/protobuf): spans reach the collector as protobuf at
 * <endpoint>/v1/traces, and what is still buffered is exported when the gateway shuts down.
 * And a collector that cannot be reached is reported in the log.
 */

let db: TestDatabase;
let mock: MockUpstream;
let receiver: OtlpReceiver;
let gw: TestGateway | undefined;
let key: string;

beforeAll(async () => {
  db = await createTestDatabase();
  mock = await startMockUpstream();
  receiver = await startOtlpReceiver();
  const seeder = await startTestGateway({ databaseUrl: db.url });
  await seedMockCatalogue(seeder, mock);
  ({ key } = await createUserWithKey(seeder));
  await seeder.close();
}, 120_000);

// The SDK reads some settings from the process environment only: tests set them through
// `setProcessEnv`, and each is put back as it was after the test.
const savedEnv = new Map<string, string | undefined>();
function setProcessEnv(vars: Record<string, string>): void {
  for (const [name, value] of Object.entries(vars)) {
    if (!savedEnv.has(name)) savedEnv.set(name, process.env[name]);
    process.env[name] = value;
  }
}
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  savedEnv.clear();
});

afterAll(async () => {
  await gw?.close();
  await receiver?.close();
  await mock?.close();
  await db?.drop();
});

describe('tracing over OTLP/protobuf', () => {
  it('exports the request span as protobuf to <endpoint>/v1/traces, at the latest when the gateway stops', async () => {
    gw = await startTestGateway({ databaseUrl: db.url, env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/` } });
    const traceId = randomBytes(16);
    const traceparent = `00-${traceId.toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'protobuf please' }] }, { headers: { traceparent } });
    const running = gw;
    gw = undefined;
    await running.close();

    const exported = await waitFor(() => receiver.exports.find((e) => e.body.includes(traceId)), { what: 'an export carrying the trace id' });
    expect(exported.path).toBe('/v1/traces');
    expect(exported.contentType).toBe('application/x-protobuf');
    expect(exported.body.includes(Buffer.from('POST /v1/chat/completions'))).toBe(true);
    expect(exported.body.includes(Buffer.from(key))).toBe(false);
  });

  it('starts with OTEL_EXPORTER_OTLP_PROTOCOL=grpc set for every service, warns once, and exports over http/protobuf', async () => {
    // Set for the whole process too, as a deployment-wide setting is: the SDK must not act on it either.
    setProcessEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    const lines: Record<string, unknown>[] = [];
    const sink = new PassThrough();
    sink.on('data', (b: Buffer) => {
      for (const l of b.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
    });
    const running = await startTestGateway({ databaseUrl: db.url, env: { LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, logTo: sink });
    const traceId = randomBytes(16);
    const client = new OpenAI({ apiKey: key, baseURL: `${running.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create(
      { model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'grpc asked' }] },
      { headers: { traceparent: `00-${traceId.toString('hex')}-${randomBytes(8).toString('hex')}-01` } },
    );
    await running.close();
    const exported = await waitFor(() => receiver.exports.find((e) => e.body.includes(traceId)), { what: 'an export carrying the trace id' });
    expect(exported.contentType).toBe('application/x-protobuf');
    const notices = lines.filter((l) => typeof l.msg === 'string' && l.msg.includes('OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported'));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.level).toBe(40);
  });

  it('warns in the log when spans cannot be exported (the collector is down), without the span content', async () => {
    // The SDK reads these from the process: export within ~50 ms, give up on an export after 1 s.
    setProcessEnv({ OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_EXPORTER_OTLP_TIMEOUT: '1000' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const lines: Record<string, unknown>[] = [];
    const sink = new PassThrough();
    sink.on('data', (b: Buffer) => {
      for (const l of b.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
    });
    gw = await startTestGateway({ databaseUrl: db.url, env: { LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${deadPort}` }, logTo: sink });
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'lost span' }] });
    const warning = await waitFor(() => lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('tracing:')), { what: 'the warning about spans not exported', deadlineMs: 30_000 });
    expect(warning.level).toBe(40);
    expect(typeof warning.problem).toBe('string');
    expect(JSON.stringify(lines)).not.toContain(key);
  });

  it('does not let a collector that never answers hold up the shutdown: the last export is given up, with a warning', async () => {
    // Accepts connections and never answers; the exporter would wait ten minutes for it.
    const held: Socket[] = [];
    const silent = createTcpServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    setProcessEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: '600000', OTEL_BSP_EXPORT_TIMEOUT: '600000', OTEL_BSP_SCHEDULE_DELAY: '600000' });
    const lines: Record<string, unknown>[] = [];
    const sink = new PassThrough();
    sink.on('data', (b: Buffer) => {
      for (const l of b.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
    });
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const running = await startTestGateway({ databaseUrl: db.url, env: { LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, logTo: sink });
    const client = new OpenAI({ apiKey: key, baseURL: `${running.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'never exported' }] });
    await running.close();
    expect(held.length, 'the shutdown tried to export').toBeGreaterThan(0);
    expect(lines.find((l) => l.msg === 'exporting the last spans failed')).toMatchObject({ level: 40, err: expect.stringMatching(/not exported within 5000 ms/) });
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }, 120_000);
});
