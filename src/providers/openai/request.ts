import type { ChatRequest, ContentPart, Message, ResponseFormat, ToolChoice, ToolDefinition } from '../../canonical/index.js';
import { applyParams, rejectExtras, rejectUnmodelled } from '../shared/params.js';
import type { UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import type { OpenAIDialect } from './dialect.js';

const identity = (id: string) => id;

/** Canonical chat request → OpenAI-format body (a shallow patch of the client's body when allowed). */
export function buildOpenAIChatBody(req: ChatRequest, target: UpstreamTarget, dialect: OpenAIDialect): Record<string, unknown> {
  if (dialect.passthrough && req.wire?.format === 'openai') return patchPassthrough(req, target, dialect);

  rejectUnmodelled(req, dialect.name);
  const mapId = dialect.toolCallId ?? identity;
  const body: Record<string, unknown> = {
    model: target.model.upstreamModel,
    messages: req.messages.map((m) => toOpenAIMessage(m, mapId)),
  };
  if (req.stream) {
    body.stream = true;
    if (dialect.streamUsageOption) body.stream_options = { include_usage: true };
  }
  applyParams(req, dialect.params, body, dialect.name);
  if (req.params.maxTokens !== undefined) {
    delete body.max_tokens;
    delete body.max_completion_tokens;
    body[req.maxTokensField && dialect.extras === '*' ? req.maxTokensField : dialect.maxTokensField] = req.params.maxTokens;
  }
  if (req.tools) body.tools = req.tools.map(toOpenAITool);
  if (req.toolChoice !== undefined) body.tool_choice = toOpenAIToolChoice(req.toolChoice, dialect);
  if (req.responseFormat) body.response_format = toOpenAIResponseFormat(req.responseFormat);
  if (dialect.extras === '*') Object.assign(body, req.extra);
  else {
    rejectExtras(req, dialect.name, dialect.extras);
    Object.assign(body, req.extra);
  }
  dialect.check?.(req);
  return body;
}

/**
 * The client already spoke OpenAI: forward its body with only what the gateway must change —
 * the upstream model id, the token limit (clamped to what the credits allow) and a usage report
 * at the end of streams. The parameter table still runs so ranges are checked the same way.
 */
function patchPassthrough(req: ChatRequest, target: UpstreamTarget, dialect: OpenAIDialect): Record<string, unknown> {
  applyParams(req, dialect.params, {}, dialect.name);
  const body: Record<string, unknown> = { ...req.wire!.body, model: target.model.upstreamModel };
  if (req.params.maxTokens !== undefined) {
    const field = req.maxTokensField ?? dialect.maxTokensField;
    body[field] = req.params.maxTokens;
  }
  if (req.stream && dialect.streamUsageOption) {
    const given = body.stream_options as Record<string, unknown> | undefined;
    body.stream_options = given ? { ...given, include_usage: true } : { include_usage: true };
  }
  dialect.check?.(req);
  return body;
}

export function toOpenAIMessage(m: Message, mapId: (id: string) => string): Record<string, unknown> {
  switch (m.role) {
    case 'system':
      return { role: 'system', content: m.text };
    case 'user':
      return m.name ? { role: 'user', content: toOpenAIContent(m.content), name: m.name } : { role: 'user', content: toOpenAIContent(m.content) };
    case 'assistant': {
      const out: Record<string, unknown> = { role: 'assistant', content: m.text };
      if (m.toolCalls?.length) {
        out.tool_calls = m.toolCalls.map((c) => ({ id: mapId(c.id), type: 'function', function: { name: c.name, arguments: c.arguments } }));
      }
      if (m.name) out.name = m.name;
      return out;
    }
    case 'tool':
      return { role: 'tool', tool_call_id: mapId(m.toolCallId), content: m.text };
  }
}

function toOpenAIContent(parts: ContentPart[]): string | Record<string, unknown>[] {
  if (parts.length === 1 && parts[0]!.type === 'text') return parts[0]!.text;
  return parts.map((p) =>
    p.type === 'text'
      ? { type: 'text', text: p.text }
      : { type: 'image_url', image_url: p.detail ? { url: p.url, detail: p.detail } : { url: p.url } },
  );
}

function toOpenAITool(t: ToolDefinition): Record<string, unknown> {
  const fn: Record<string, unknown> = { name: t.name };
  if (t.description !== undefined) fn.description = t.description;
  if (t.parameters !== undefined) fn.parameters = t.parameters;
  if (t.strict !== undefined) fn.strict = t.strict;
  return { type: 'function', function: fn };
}

function toOpenAIToolChoice(choice: ToolChoice, dialect: OpenAIDialect): unknown {
  if (choice === 'required') return dialect.requiredToolChoice;
  if (typeof choice === 'string') return choice;
  return { type: 'function', function: { name: choice.name } };
}

function toOpenAIResponseFormat(f: ResponseFormat): Record<string, unknown> {
  if (f.type !== 'json_schema') return { type: f.type };
  const schema: Record<string, unknown> = { name: f.name, schema: f.schema };
  if (f.strict !== undefined) schema.strict = f.strict;
  if (f.description !== undefined) schema.description = f.description;
  return { type: 'json_schema', json_schema: schema };
}

export function openAIChatRequest(req: ChatRequest, target: UpstreamTarget, dialect: OpenAIDialect): UpstreamHttpRequest {
  return {
    method: 'POST',
    path: '/chat/completions',
    headers: { authorization: `Bearer ${target.key.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(buildOpenAIChatBody(req, target, dialect)),
  };
}
