import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../canonical/index.js';
import { applyParams, rejectExtras, rejectUnmodelled, setPath } from '../shared/params.js';
import type { UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import { GEMINI, geminiHeaders, modelResource } from './endpoint.js';
import { toGeminiPrompt } from './messages.js';
import { GEMINI_PARAMS } from './params.js';

/**
 * Canonical chat request → GenerateContentRequest body.
 *
 * Tool parameters and response schemas go as JSON Schema (`parametersJsonSchema`,
 * `responseJsonSchema`), which Gemini accepts as they are, instead of being rewritten into
 * Gemini's OpenAPI-subset `Schema` (a lossy conversion: no $ref, no additionalProperties).
 * Keywords Gemini does not support are its to reject, with a 400 the client sees.
 */
export function buildGeminiChatBody(req: ChatRequest): Record<string, unknown> {
  rejectExtras(req, GEMINI);
  rejectUnmodelled(req, GEMINI);
  const prompt = toGeminiPrompt(req.messages);
  const body: Record<string, unknown> = { contents: prompt.contents };
  if (prompt.systemInstruction) body.systemInstruction = prompt.systemInstruction;
  applyParams(req, GEMINI_PARAMS, body, GEMINI);
  if (prompt.mediaResolution) setPath(body, 'generationConfig.mediaResolution', prompt.mediaResolution);
  if (req.responseFormat) applyResponseFormat(req.responseFormat, body);
  if (req.tools && req.tools.length > 0) {
    body.tools = [{ functionDeclarations: req.tools.map(toFunctionDeclaration) }];
    if (req.toolChoice !== undefined) body.toolConfig = { functionCallingConfig: toFunctionCallingConfig(req.toolChoice) };
  }
  return body;
}

export function geminiChatRequest(req: ChatRequest, target: UpstreamTarget): UpstreamHttpRequest {
  const method = req.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  return {
    method: 'POST',
    path: `/${modelResource(target.model.upstreamModel)}:${method}`,
    headers: geminiHeaders(target.key.secret),
    body: JSON.stringify(buildGeminiChatBody(req)),
  };
}

/** A function without parameters is declared without a schema (Gemini rejects empty object schemas). */
function toFunctionDeclaration(t: ToolDefinition): Record<string, unknown> {
  const fn: Record<string, unknown> = { name: t.name };
  if (t.description !== undefined) fn.description = t.description;
  if (t.parameters !== undefined && !isEmptyObjectSchema(t.parameters)) fn.parametersJsonSchema = t.parameters;
  return fn;
}

function isEmptyObjectSchema(s: Record<string, unknown>): boolean {
  const props = s.properties as Record<string, unknown> | undefined;
  return (s.type === undefined || s.type === 'object') &&
    Object.keys(s).every((k) => k === 'type' || k === 'properties' || k === 'additionalProperties' || k === '$schema') && (!props || Object.keys(props).length === 0);
}

const MODES = { auto: 'AUTO', required: 'ANY', none: 'NONE' } as const;

function toFunctionCallingConfig(choice: ToolChoice): Record<string, unknown> {
  if (typeof choice === 'string') return { mode: MODES[choice] };
  return { mode: 'ANY', allowedFunctionNames: [choice.name] };
}

function applyResponseFormat(f: ResponseFormat, body: Record<string, unknown>): void {
  if (f.type === 'text') return;
  setPath(body, 'generationConfig.responseMimeType', 'application/json');
  if (f.type === 'json_schema') setPath(body, 'generationConfig.responseJsonSchema', f.schema);
}
