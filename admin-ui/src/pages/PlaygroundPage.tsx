import { useRef, useState } from 'react';
import { api, ApiError } from '../api/client';
import type { List, Model, RequestDetail } from '../api/types';
import { Form, SelectField, SubmitButton, TextField, Field } from '../components/form';
import { Badge, Button, Card, Mono, PageHeader, Stat } from '../components/ui';
import { emptyRun, streamChat, type ChatRun } from '../lib/chat-stream';
import { credits, ms, num } from '../lib/format';
import { useResource } from '../lib/useResource';
import './team.css';

function Attempts({ detail }: { detail: RequestDetail | undefined | 'loading' }) {
  if (detail === 'loading') return <p className="card-note">Reading the request log…</p>;
  if (!detail) return null;
  if (detail.attempts.length === 0) return <p className="card-note">No upstream attempt: {detail.cacheHit ? 'answered from the cache.' : 'refused before any provider was called.'}</p>;
  return (
    <div className="table-wrap">
      <table className="table table-cards">
        <thead>
          <tr>
            <th>Attempt</th>
            <th>Provider</th>
            <th className="hide-sm">Model</th>
            <th className="num">Status</th>
            <th className="num">Latency</th>
            <th>Result</th>
          </tr>
        </thead>
        <tbody>
          {detail.attempts.map((a, i) => (
            <tr key={a.attemptId}>
              <td data-label="Attempt">{i + 1}</td>
              <td data-label="Provider"><span>{a.provider} <span className="sub">key {a.keyId}</span></span></td>
              <td data-label="Model" className="hide-sm card-show nowrap"><Mono>{a.model}</Mono></td>
              <td data-label="Status" className="num">{a.status}</td>
              <td data-label="Latency" className="num">{ms(Math.round(a.latencyMs))}</td>
              <td data-label="Result">{a.error ? <Badge tone="danger">{a.error}</Badge> : <Badge tone="success">Served</Badge>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Try a key: a streamed chat request with a pasted API key through the gateway's own OpenAI
 * endpoint, exactly as an app makes it; then its cost (the stream's final x_tollgate report) and its
 * upstream attempts (the request log). The key stays in this page's memory only.
 */
export function PlaygroundPage() {
  const models = useResource<List<Model>>('/models');
  const chatModels = (models.data?.data ?? []).filter((m) => m.kind === 'chat' && m.enabled);
  const [run, setRun] = useState<ChatRun>();
  const [running, setRunning] = useState(false);
  const [detail, setDetail] = useState<RequestDetail | 'loading'>();
  const abort = useRef<AbortController>(undefined);

  return (
    <>
      <PageHeader title="Playground" description="Send a chat request with an API key, as an app would: it streams through this gateway’s OpenAI endpoint, is limited and charged like any other, and shows what it cost and which providers were tried." />
      <div className="playground">
        <Card title="Request">
          <Form
            className="stack"
            onSubmit={async (data) => {
              const apiKey = String(data.get('apiKey') ?? '').trim();
              const model = String(data.get('model') ?? '');
              const prompt = String(data.get('prompt') ?? '').trim();
              const system = String(data.get('system') ?? '').trim();
              const maxTokens = String(data.get('maxTokens') ?? '').trim();
              if (!apiKey) throw new ApiError(400, 'Paste an API key.', 'apiKey', null);
              if (!prompt) throw new ApiError(400, 'Write a message to send.', 'prompt', null);
              const controller = new AbortController();
              abort.current = controller;
              setRunning(true);
              setDetail(undefined);
              setRun(emptyRun());
              try {
                const messages = [...(system ? [{ role: 'system', content: system }] : []), { role: 'user', content: prompt }];
                const done = await streamChat(apiKey, { model, messages, ...(maxTokens ? { max_tokens: Number(maxTokens) } : {}) }, setRun, controller.signal);
                if (done.requestId) {
                  setDetail('loading');
                  setDetail(await api<RequestDetail>('GET', `/requests/${encodeURIComponent(done.requestId)}`).catch(() => undefined));
                }
              } catch (err) {
                if (!controller.signal.aborted) throw err;
              } finally {
                setRunning(false);
              }
            }}
          >
            <TextField name="apiKey" label="API key" type="password" autoComplete="off" placeholder="tg_…" hint="A Tollgate API key (Users & keys). It is sent with this request only and never stored." />
            <div className="grid-2">
              <SelectField name="model" label="Model" options={chatModels.map((m) => ({ value: m.alias, label: m.alias }))} />
              <TextField name="maxTokens" label="Max tokens" inputMode="numeric" placeholder="Model default" />
            </div>
            <TextField name="system" label="System prompt" placeholder="Optional" />
            <Field name="prompt" label="Message">
              {(c) => <textarea className="input textarea" rows={4} placeholder="Say hello in three languages." {...c} />}
            </Field>
            <div className="card-form-footer">
              {running && (
                <Button variant="ghost" onClick={() => abort.current?.abort()}>
                  Stop
                </Button>
              )}
              <SubmitButton>Send</SubmitButton>
            </div>
          </Form>
        </Card>
        <div className="stack-lg">
          <Card title="Answer" actions={run?.model && <span className="muted small">{run.model} via {run.provider}</span>}>
            <div className={`playground-answer ${running ? 'streaming' : ''}`} aria-live="polite" aria-busy={running} data-testid="answer">
              {run?.error ? (
                <div className="banner banner-danger" role="alert">
                  {run.error.status !== 200 && <strong>{run.error.status}</strong>} {run.error.message}
                </div>
              ) : run?.text ? (
                run.text
              ) : (
                <span className="muted">{running ? 'Waiting for the first token…' : 'The streamed answer appears here.'}</span>
              )}
            </div>
          </Card>
          {run && !running && (
            <div className="stats playground-stats">
              <Stat label="Cost" value={run.cost !== null ? credits(run.cost) : '—'} hint={run.estimated ? 'Usage estimated' : 'credits'} />
              <Stat label="Balance after" value={run.balance !== null ? credits(run.balance) : '—'} hint="credits" />
              <Stat label="Tokens" value={run.promptTokens !== null ? `${num(run.promptTokens)} → ${num(run.completionTokens)}` : '—'} hint="prompt → completion" />
              <Stat label="Time" value={ms(run.totalMs)} hint={run.firstTokenMs !== null ? `first token ${ms(run.firstTokenMs)}` : undefined} />
            </div>
          )}
          {run?.requestId && !running && (
            <Card title="Upstream attempts" description={<>Request <Mono>{run.requestId}</Mono>, from the request log.</>} flush>
              <Attempts detail={detail} />
            </Card>
          )}
        </div>
      </div>
    </>
  );
}
