/**
 * An internal app using the Tollgate SDK: chat (plain and streamed), embeddings, a safe retry with
 * an Idempotency-Key, tags, the balance and a usage report, and what to do with each typed error.
 *
 * Against a running gateway:
 *   TOLLGATE_BASE_URL=http://localhost:8080 TOLLGATE_API_KEY=tg_... \
 *   TOLLGATE_MODEL=gpt-4o-mini TOLLGATE_EMBEDDING_MODEL=text-embedding-3-small npx tsx examples/sdk-app.ts
 * Or with nothing running: `npx tsx examples/sdk-demo.ts` (starts a gateway and a mock provider).
 */
import { pathToFileURL } from 'node:url';
// In an app: import { … } from 'tollgate/sdk';
import { InsufficientCreditsError, ModelNotFoundError, RateLimitedError, toMicrocredits, formatCredits, Tollgate, UpstreamUnavailableError } from '../src/sdk/index.js';

export interface AppModels {
  chat: string;
  /** Skipped when not given. */
  embedding?: string;
}

const say = (line = '') => process.stdout.write(`${line}\n`);

/** Waits out rate limits (as long as the gateway says), gives up on everything else. */
async function withRateLimitRetry<T>(call: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof RateLimitedError) || i >= attempts) throw err;
      say(`  rate limited; retrying in ${err.retryAfterSeconds ?? 1}s`);
      await new Promise((r) => setTimeout(r, (err.retryAfterSeconds ?? 1) * 1000));
    }
  }
}

export async function runApp(tg: Tollgate, models: AppModels): Promise<void> {
  const start = await tg.credits();
  say(`Balance: ${start.available} credits available (${start.held} held)`);

  // 1. A completion: the OpenAI result, plus what it cost.
  const reply = await withRateLimitRetry(() =>
    tg.chat.completions.create({ model: models.chat, messages: [{ role: 'user', content: 'Summarise our refund policy in one line.' }] }, { tags: { feature: 'faq' } }),
  );
  say(`\nChat (${reply.tollgate.model} via ${reply.tollgate.provider}): ${reply.choices[0]?.message.content}`);
  say(`  cost ${reply.tollgate.cost}, balance ${reply.tollgate.balance}, request ${reply.tollgate.requestId}`);

  // 2. A stream: tokens as they come, the cost once it ends.
  process.stdout.write('\nStream: ');
  const stream = await tg.chat.completions.create({ model: models.chat, stream: true, messages: [{ role: 'user', content: 'Count to five.' }] }, { tags: { feature: 'counter' } });
  for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta.content ?? '');
  const streamed = await stream.finalMeta();
  say(`\n  cost ${streamed.cost}, balance ${streamed.balance}`);

  // 3. Embeddings.
  if (models.embedding) {
    const emb = await tg.embeddings.create({ model: models.embedding, input: ['refund policy', 'shipping times'] }, { tags: { feature: 'search' } });
    say(`\nEmbeddings: ${emb.data.length} vectors of ${emb.data[0]?.embedding.length} dimensions, cost ${emb.tollgate.cost}`);
  }

  // 4. A retry that must not charge twice: the same Idempotency-Key gets the first answer back.
  const orderKey = `order-${Date.now()}`;
  const charge = () => tg.chat.completions.create({ model: models.chat, messages: [{ role: 'user', content: 'Write a thank-you note for order 42.' }] }, { idempotencyKey: orderKey });
  const first = await charge();
  const retried = await charge();
  say(`\nIdempotent retry: replayed=${retried.tollgate.replayed}, same answer=${retried.id === first.id}`);

  // 5. Typed errors.
  try {
    await tg.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] });
  } catch (err) {
    if (err instanceof ModelNotFoundError) say(`\nUnknown model → ${err.name} (status ${err.status}, code ${err.code})`);
    else if (err instanceof InsufficientCreditsError) say('\nOut of credits: ask an admin for a top-up.');
    else if (err instanceof UpstreamUnavailableError) say(`\nProvider down; try again in ${err.retryAfterSeconds ?? 'a few'} s.`);
    else throw err;
  }

  // 6. What this run cost, from the gateway's usage report, per feature tag.
  const end = await tg.credits();
  const spent = toMicrocredits(start.balance) - toMicrocredits(end.balance);
  say(`\nSpent this run: ${formatCredits(spent)} credits; balance now ${end.balance}`);
  for (const feature of ['faq', 'counter', 'search']) {
    const usage = await tg.usage({ tags: { feature }, from: new Date(Date.now() - 3_600_000) });
    say(`  feature=${feature}: ${usage.totals.requests} request(s), ${usage.totals.cost} credits`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const tg = new Tollgate(); // TOLLGATE_API_KEY, TOLLGATE_BASE_URL
  await runApp(tg, { chat: process.env.TOLLGATE_MODEL ?? 'gpt-4o-mini', embedding: process.env.TOLLGATE_EMBEDDING_MODEL });
}
