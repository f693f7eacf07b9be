import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey, seedMockCatalogue } from '../helpers/catalogue.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The default OTLP encoding (http/protobuf): spans reach the collector as protobuf at
 * <endpoint>/v1/traces, and what is still buffered is exported when the gateway shuts down.
 */

let db: TestDatabase;
let mock: MockUpstream;
let receiver: OtlpReceiver;
let gw: TestGateway | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  mock = await startMockUpstream();
  receiver = await startOtlpReceiver();
}, 120_000);

afterAll(async () => {
  await gw?.close();
  await receiver?.close();
  await mock?.close();
  await db?.drop();
});

describe('tracing over OTLP/protobuf', () => {
  it('exports the request span as protobuf to <endpoint>/v1/traces, at the latest when the gateway stops', async () => {
    gw = await startTestGateway({ databaseUrl: db.url, env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/` } });
    await seedMockCatalogue(gw, mock);
    const { key } = await createUserWithKey(gw);
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
});
