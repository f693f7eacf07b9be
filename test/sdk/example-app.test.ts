import { afterEach, describe, expect, it, vi } from 'vitest';
import { runApp } from '../../examples/sdk-app.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { CHAT_MODEL, EMBEDDING_MODEL, sdkUser } from './support.js';

let gw: TestGateway;
useGatewayHarness({}, (h) => ({ gw } = h));
afterEach(() => vi.restoreAllMocks());

describe('examples/sdk-app.ts', () => {
  it('runs end to end against the gateway', async () => {
    const { tg } = await sdkUser(gw, '1');
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    await runApp(tg, { chat: CHAT_MODEL, embedding: EMBEDDING_MODEL });
    vi.restoreAllMocks();
    expect(out).toContain('Balance: 1.000000 credits available');
    expect(out).toMatch(/Chat \(gpt-4o-mini via openai\): Mock reply to: Summarise our refund policy/);
    expect(out).toMatch(/Stream: Mock reply to: Count to five\.\n {2}cost 0\.0000\d\d, balance 0\.99\d+/);
    expect(out).toContain('Idempotent retry: replayed=true, same answer=true');
    expect(out).toContain('Unknown model → ModelNotFoundError (status 404, code model_not_found)');
    expect(out).toMatch(/feature=faq: 1 request\(s\)/);
    expect(out).toMatch(/feature=search: 1 request\(s\)/);
  });
});
