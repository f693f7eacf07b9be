import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  IdempotencyKeyInProgressError,
  IdempotencyKeyReusedError,
  InsufficientCreditsError,
  ModelNotFoundError,
  NotFoundError,
  RateLimitedError,
  Tollgate,
  UpstreamUnavailableError,
} from '../../src/sdk/index.js';
import type { MockUpstream } from '../mock-upstream/server.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { clearFaults, injectFault } from '../helpers/mock-control.js';
import { waitFor } from '../helpers/wait.js';
import { CHAT_MODEL as model, EMBEDDING_MODEL, sdkUser } from './support.js';

let gw: TestGateway;
let mock: MockUpstream;
useGatewayHarness({}, (h) => ({ gw, mock } = h));
afterEach(() => clearFaults(mock));

const ask = (content: string) => ({ model, messages: [{ role: 'user' as const, content }] });

describe('typed errors', () => {
  it('402 → InsufficientCreditsError', async () => {
    const { tg } = await sdkUser(gw, '0.000010');
    const err = await tg.chat.completions.create(ask('hi')).catch((e) => e);
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 402, type: 'insufficient_quota', code: 'insufficient_credits', name: 'InsufficientCreditsError' });
    expect(err.message).toMatch(/^402 Insufficient credits/);
    expect(err.requestID).toMatch(/\S/);
  });

  it('404 for an unknown model → ModelNotFoundError (an openai NotFoundError)', async () => {
    const { tg } = await sdkUser(gw);
    // One call at a time: a second call started up front could reject before anything awaits it (an unhandled rejection).
    for (const call of [() => tg.chat.completions.create({ ...ask('hi'), model: 'no-such-model' }), () => tg.embeddings.create({ model: 'no-such-embedder', input: 'x' })]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelNotFoundError);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect(err).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    }
  });

  it('429 → RateLimitedError with retryAfterSeconds', async () => {
    const { tg } = await sdkUser(gw);
    await injectFault(mock, { provider: 'openai', match: 'limit-me', times: 0, fault: { type: 'status', status: 429, retryAfter: 7 } });
    const err = await tg.chat.completions.create(ask('limit-me')).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err).toMatchObject({ status: 429, type: 'rate_limit_error', retryAfterSeconds: 7 });
  });

  it('502/503 → UpstreamUnavailableError, and nothing is charged', async () => {
    const { tg } = await sdkUser(gw, '1');
    await injectFault(mock, { provider: 'openai', match: 'overloaded', times: 0, fault: { type: 'status', status: 503, retryAfter: 2 } });
    await injectFault(mock, { provider: 'openai', match: 'broken', times: 0, fault: { type: 'status', status: 500 } });
    const unavailable = await tg.chat.completions.create(ask('overloaded')).catch((e) => e);
    expect(unavailable).toBeInstanceOf(UpstreamUnavailableError);
    expect(unavailable).toBeInstanceOf(OpenAI.InternalServerError);
    expect(unavailable).toMatchObject({ status: 503, type: 'service_unavailable', retryAfterSeconds: 2 });
    const broken = await tg.chat.completions.create(ask('broken')).catch((e) => e);
    expect(broken).toBeInstanceOf(UpstreamUnavailableError);
    expect(broken).toMatchObject({ status: 502, type: 'upstream_error', retryAfterSeconds: null });
    expect((await tg.credits()).balance).toBe('1.000000');
  });

  it('a stream the provider cuts → UpstreamUnavailableError from the iterator and from finalMeta()', async () => {
    const { tg } = await sdkUser(gw, '1');
    await injectFault(mock, { provider: 'openai', match: 'cut-me', times: 0, fault: { type: 'cut_stream', afterEvents: 3 } });
    const stream = await tg.chat.completions.create({ ...ask('cut-me [[reply:20]]'), stream: true });
    let chunks = 0;
    const err = await (async () => {
      for await (const _ of stream) chunks++;
    })().catch((e) => e);
    expect(chunks).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect(err).toMatchObject({ status: 502, type: 'upstream_error', code: 'upstream_stream_cut' });
    await expect(stream.finalMeta()).rejects.toBe(err);
  });

  it('409 while the first call with a key runs, 422 when the key is reused for another body', async () => {
    const { tg } = await sdkUser(gw);
    // The upstream holds the first call (slow first byte) while the repeat arrives.
    await injectFault(mock, { provider: 'openai', match: 'slow-idem', fault: { type: 'slow_first_byte', ms: 3_000 } });
    let firstDone = false;
    const first = tg.chat.completions.create(ask('slow-idem'), { idempotencyKey: 'k-1' }).finally(() => (firstDone = true));
    await waitFor(() => mock.requests.some((r) => JSON.stringify(r.body).includes('slow-idem')), { what: 'the first call to reach the upstream' });
    const running = await tg.chat.completions.create(ask('slow-idem'), { idempotencyKey: 'k-1' }).catch((e) => e);
    expect(firstDone, 'the first call finished before the repeat arrived').toBe(false);
    expect(running).toBeInstanceOf(IdempotencyKeyInProgressError);
    expect(running).toMatchObject({ status: 409, code: 'idempotency_key_in_progress' });
    await first;
    const reused = await tg.chat.completions.create(ask('something else'), { idempotencyKey: 'k-1' }).catch((e) => e);
    expect(reused).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(reused).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
  });

  it('other failures keep the openai classes: a bad key, an unknown request id, a bad tag', async () => {
    const bad = new Tollgate({ apiKey: 'tg_not-a-key', baseURL: gw.url, maxRetries: 0 });
    expect(await bad.chat.completions.create(ask('hi')).catch((e) => e)).toBeInstanceOf(AuthenticationError);
    expect(await bad.credits().catch((e) => e)).toBeInstanceOf(AuthenticationError);
    const { tg } = await sdkUser(gw);
    expect(await tg.request('req_missing').catch((e) => e)).toMatchObject({ status: 404, code: 'request_not_found', constructor: NotFoundError });
    const badTag = await tg.embeddings.create({ model: EMBEDDING_MODEL, input: 'x' }, { tags: { 'bad key': '1' } }).catch((e) => e);
    expect(badTag).toBeInstanceOf(OpenAI.BadRequestError);
    expect(badTag.param).toBe('x-tollgate-tags');
  });

  it('reports a gateway that cannot be reached as an APIConnectionError', async () => {
    const tg = new Tollgate({ apiKey: 'tg_x', baseURL: 'http://127.0.0.1:9', maxRetries: 0 });
    expect(await tg.chat.completions.create(ask('hi')).catch((e) => e)).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(await tg.credits().catch((e) => e)).toBeInstanceOf(OpenAI.APIConnectionError);
  });
});
