import { startMockUpstream } from './server.js';

/** `npm run mock-upstream` — MOCK_PORT (default 9090), MOCK_LATENCY_MS (default 0). */
const mock = await startMockUpstream({
  port: Number(process.env.MOCK_PORT ?? 9090),
  host: process.env.MOCK_HOST ?? '127.0.0.1',
  latencyMs: Number(process.env.MOCK_LATENCY_MS ?? 0),
  recordLimit: Number(process.env.MOCK_RECORD_LIMIT ?? 200),
});
process.stdout.write(
  `mock upstream listening on ${mock.url}\n` +
    (['openai', 'anthropic', 'gemini', 'mistral'] as const).map((p) => `  ${p.padEnd(9)} base URL ${mock.baseUrl(p)}\n`).join(''),
);
const stop = () => void mock.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
