/**
 * A streamed chat completion through the gateway's own OpenAI endpoint, as any app would make it
 * (the playground's one request): server-sent events read chunk by chunk, the answer reported as it
 * grows, and the final usage chunk's cost (x_tollgate) kept.
 */

export interface ChatRun {
  requestId: string | null;
  model: string | null;
  provider: string | null;
  text: string;
  /** The final chunk's gateway report: what the request cost and the balance after it. */
  cost: string | null;
  balance: string | null;
  estimated: boolean;
  promptTokens: number | null;
  completionTokens: number | null;
  finishReason: string | null;
  firstTokenMs: number | null;
  totalMs: number | null;
  error: { status: number; message: string; code: string | null } | null;
}

export const emptyRun = (): ChatRun => ({
  requestId: null, model: null, provider: null, text: '', cost: null, balance: null, estimated: false,
  promptTokens: null, completionTokens: null, finishReason: null, firstTokenMs: null, totalMs: null, error: null,
});

interface Chunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  x_tollgate?: { cost?: string; balance?: string | null; estimated?: boolean };
  error?: { message?: string; code?: string | null };
}

export async function streamChat(
  apiKey: string,
  body: { model: string; messages: { role: string; content: string }[]; max_tokens?: number },
  onUpdate: (run: ChatRun) => void,
  signal: AbortSignal,
): Promise<ChatRun> {
  const t0 = performance.now();
  let run = emptyRun();
  const update = (patch: Partial<ChatRun>) => {
    run = { ...run, ...patch };
    onUpdate(run);
  };
  const res = await fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
    signal,
  });
  update({ requestId: res.headers.get('x-request-id'), model: res.headers.get('x-tollgate-model'), provider: res.headers.get('x-tollgate-provider') });
  if (!res.ok || !res.body) {
    const text = await res.text();
    let e: Chunk['error'];
    try {
      e = (JSON.parse(text) as Chunk).error;
    } catch {
      e = undefined;
    }
    update({ error: { status: res.status, message: e?.message ?? `The gateway answered ${res.status}.`, code: e?.code ?? null }, totalMs: Math.round(performance.now() - t0) });
    return run;
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const events = buffer.split('\n\n');
    buffer = events.pop() ?? '';
    for (const event of events) {
      const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (!data || data === '[DONE]') continue;
      const chunk = JSON.parse(data) as Chunk;
      if (chunk.error) {
        update({ error: { status: 200, message: chunk.error.message ?? 'The stream failed.', code: chunk.error.code ?? null } });
        continue;
      }
      const choice = chunk.choices?.[0];
      const delta = choice?.delta?.content;
      if (delta) update({ text: run.text + delta, firstTokenMs: run.firstTokenMs ?? Math.round(performance.now() - t0) });
      if (choice?.finish_reason) update({ finishReason: choice.finish_reason });
      if (chunk.usage) update({ promptTokens: chunk.usage.prompt_tokens ?? null, completionTokens: chunk.usage.completion_tokens ?? null });
      if (chunk.x_tollgate) update({ cost: chunk.x_tollgate.cost ?? null, balance: chunk.x_tollgate.balance ?? null, estimated: chunk.x_tollgate.estimated === true });
    }
  }
  update({ totalMs: Math.round(performance.now() - t0) });
  return run;
}
