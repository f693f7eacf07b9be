import type { MockTurn } from './content.js';

/**
 * How the mock Gemini reads a GenerateContentRequest: the checks the real API makes (it rejects
 * unknown fields, roles other than user/model, empty parts, function responses that do not answer
 * the function-call turn just before them, …) and the turn the mock model answers.
 */

export interface WirePart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType?: string; data?: string };
  fileData?: { mimeType?: string; fileUri?: string };
  functionCall?: { name?: string; args?: unknown; id?: string };
  functionResponse?: { name?: string; response?: unknown; id?: string };
  [k: string]: unknown;
}
export interface WireContent {
  role?: string;
  parts?: WirePart[];
}
interface WireDeclaration {
  name?: string;
  parameters?: Record<string, unknown>;
  parametersJsonSchema?: Record<string, unknown>;
}
export interface WireGenerationConfig {
  stopSequences?: string[];
  candidateCount?: number;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  responseMimeType?: string;
  responseSchema?: Record<string, unknown>;
  responseJsonSchema?: Record<string, unknown>;
  responseLogprobs?: boolean;
  logprobs?: number;
  thinkingConfig?: { thinkingBudget?: number; includeThoughts?: boolean; thinkingLevel?: string };
  [k: string]: unknown;
}
export interface WireGenerateBody {
  contents?: WireContent[];
  systemInstruction?: WireContent;
  tools?: { functionDeclarations?: WireDeclaration[] }[];
  toolConfig?: { functionCallingConfig?: { mode?: string; allowedFunctionNames?: string[] } };
  generationConfig?: WireGenerationConfig;
  [k: string]: unknown;
}

const TOP_FIELDS = new Set(['model', 'contents', 'systemInstruction', 'tools', 'toolConfig', 'safetySettings', 'generationConfig', 'cachedContent']);
const GENERATION_FIELDS = new Set([
  'stopSequences', 'responseMimeType', 'responseSchema', 'responseJsonSchema', 'responseModalities', 'candidateCount', 'maxOutputTokens',
  'temperature', 'topP', 'topK', 'seed', 'presencePenalty', 'frequencyPenalty', 'responseLogprobs', 'logprobs', 'enableEnhancedCivicAnswers',
  'speechConfig', 'thinkingConfig', 'mediaResolution', 'imageConfig',
]);
const PART_DATA = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult'] as const;
const MODES = new Set(['AUTO', 'ANY', 'NONE', 'VALIDATED']);
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const unknownField = (name: string, at?: string) => `Invalid JSON payload received. Unknown name "${name}"${at ? ` at '${at}'` : ''}: Cannot find field.`;
const outOfRange = (v: unknown, lo: number, hi: number) => typeof v === 'number' && (v < lo || v > hi);

/** The real API's answer to a request it refuses (HTTP 400 INVALID_ARGUMENT), or undefined. */
export function validateGenerate(b: WireGenerateBody): string | undefined {
  for (const k of Object.keys(b)) if (!TOP_FIELDS.has(k)) return unknownField(k);
  const g = b.generationConfig ?? {};
  for (const k of Object.keys(g)) if (!GENERATION_FIELDS.has(k)) return unknownField(k, 'generation_config');
  if (!Array.isArray(b.contents) || b.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified\n';
  let previous: WireContent | undefined;
  for (const [i, c] of b.contents.entries()) {
    const problem = checkContent(c, i, previous);
    if (problem) return problem;
    previous = c;
  }
  for (const p of b.systemInstruction?.parts ?? []) if (typeof p.text !== 'string') return '* GenerateContentRequest.system_instruction: only text parts are supported\n';
  return checkGenerationConfig(g) ?? checkTools(b);
}

function checkContent(c: WireContent, i: number, previous: WireContent | undefined): string | undefined {
  // "function" is the legacy role of function-response turns; the API (and the official SDK) still use it.
  if (c.role !== undefined && !['user', 'model', 'function'].includes(c.role)) return 'Please use a valid role: user, model.';
  if (!Array.isArray(c.parts) || c.parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`;
  for (const [j, p] of c.parts.entries()) {
    for (const k of Object.keys(p)) if (!PART_DATA.includes(k as never) && !['thought', 'thoughtSignature', 'videoMetadata'].includes(k)) return unknownField(k, `contents[${i}].parts[${j}]`);
    const set = PART_DATA.filter((k) => p[k] !== undefined && p[k] !== '');
    if (set.length === 0) return `* GenerateContentRequest.contents[${i}].parts[${j}].data: required oneof field 'data' must have one initialized field\n`;
    if (set.length > 1) return `Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '${snake(set[1]!)}'`;
    if (p.inlineData && (!p.inlineData.mimeType || !p.inlineData.data || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(p.inlineData.data))) {
      return `Invalid value at 'contents[${i}].parts[${j}].inline_data' (mime_type and base64 data are required)`;
    }
    if (p.functionCall && (c.role !== 'model' || !p.functionCall.name)) return `* GenerateContentRequest.contents[${i}].parts[${j}].function_call: a named function call can only come from the model\n`;
    if (p.functionResponse) {
      const r = p.functionResponse.response;
      if (!r || typeof r !== 'object' || Array.isArray(r)) return `Invalid value at 'contents[${i}].parts[${j}].function_response.response' (type.googleapis.com/google.protobuf.Struct)`;
      if (c.role === 'model' || !p.functionResponse.name) return `* GenerateContentRequest.contents[${i}].parts[${j}].function_response.name: Name cannot be empty.\n`;
    }
  }
  const calls = c.parts.filter((p) => p.functionCall).length;
  const responses = c.parts.filter((p) => p.functionResponse).length;
  if (calls > 0 && previous && previous.role === 'model') {
    return 'Please ensure that function call turn comes immediately after a user turn or after a function response turn.';
  }
  if (responses > 0 && responses !== (previous?.parts ?? []).filter((p) => p.functionCall).length) {
    return 'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.';
  }
  return undefined;
}

function checkGenerationConfig(g: WireGenerationConfig): string | undefined {
  if ((g.stopSequences?.length ?? 0) > 5) return '* GenerateContentRequest.generation_config.stop_sequences: at most 5 stop sequences are allowed\n';
  if (outOfRange(g.candidateCount, 1, 8)) return '* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8\n';
  if (outOfRange(g.temperature, 0, 2)) return '* GenerateContentRequest.generation_config.temperature: must be in the range [0.0, 2.0]\n';
  if (outOfRange(g.topP, 0, 1)) return '* GenerateContentRequest.generation_config.top_p: must be in the range [0.0, 1.0]\n';
  if (outOfRange(g.maxOutputTokens, 1, 65_536)) return '* GenerateContentRequest.generation_config.max_output_tokens: must be positive\n';
  if (g.logprobs !== undefined && (!g.responseLogprobs || outOfRange(g.logprobs, 0, 20))) return 'logprobs must be in [0, 20] and needs response_logprobs=true';
  if (g.responseSchema && g.responseJsonSchema) return 'response_schema and response_json_schema cannot both be set';
  if ((g.responseSchema || g.responseJsonSchema) && g.responseMimeType !== 'application/json') return "* GenerateContentRequest.generation_config.response_mime_type: must be 'application/json' when a response schema is set\n";
  if (g.responseMimeType && !['text/plain', 'application/json', 'text/x.enum'].includes(g.responseMimeType)) return `Unsupported response mime type: ${g.responseMimeType}`;
  for (const k of Object.keys(g.thinkingConfig ?? {})) if (!['thinkingBudget', 'includeThoughts', 'thinkingLevel'].includes(k)) return unknownField(k, 'generation_config.thinking_config');
  if (outOfRange(g.thinkingConfig?.thinkingBudget, -1, 32_768)) return 'The thinking budget is out of range for this model.';
  return undefined;
}

function checkTools(b: WireGenerateBody): string | undefined {
  const names = new Set<string>();
  for (const t of b.tools ?? []) {
    for (const d of t.functionDeclarations ?? []) {
      if (!d.name || !FUNCTION_NAME.test(d.name)) return `* GenerateContentRequest.tools[0].function_declarations: invalid function name '${d.name ?? ''}'\n`;
      if (d.parameters && d.parametersJsonSchema) return 'parameters and parameters_json_schema cannot both be set';
      names.add(d.name);
    }
  }
  const fc = b.toolConfig?.functionCallingConfig;
  if (fc?.mode !== undefined && !MODES.has(fc.mode)) return `Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), "${fc.mode}"`;
  if (fc?.allowedFunctionNames?.length) {
    if (fc.mode !== 'ANY') return '* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: only allowed when mode is ANY\n';
    for (const n of fc.allowedFunctionNames) if (!names.has(n)) return `* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: function '${n}' is not declared\n`;
  }
  return undefined;
}

/** Gemini's OpenAPI-style Schema (type "OBJECT", …) as JSON Schema, for the mock model to sample from. */
export function jsonSchemaOf(s: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!s || typeof s !== 'object') return s;
  const out: Record<string, unknown> = { ...s };
  if (typeof s.type === 'string') out.type = s.type.toLowerCase();
  if (s.items) out.items = jsonSchemaOf(s.items as Record<string, unknown>);
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties as Record<string, Record<string, unknown>>).map(([k, v]) => [k, jsonSchemaOf(v)]));
  return out;
}

const textOf = (c: WireContent | undefined) => (c?.parts ?? []).filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text).join(' ');

/** What the mock model is asked. */
export function turnOf(b: WireGenerateBody): MockTurn {
  const contents = b.contents ?? [];
  const last = contents[contents.length - 1];
  const result = last?.parts?.find((p) => p.functionResponse)?.functionResponse?.response as Record<string, unknown> | undefined;
  const fc = b.toolConfig?.functionCallingConfig;
  const g = b.generationConfig ?? {};
  const schema = g.responseJsonSchema ?? jsonSchemaOf(g.responseSchema);
  return {
    promptText: [textOf(b.systemInstruction), ...contents.map(textOf)].filter(Boolean).join('\n'),
    lastUserText: last?.role !== 'model' ? textOf(last) : '',
    lastIsToolResult: result !== undefined,
    toolResultText: result === undefined ? '' : typeof result.result === 'string' ? result.result : JSON.stringify(result),
    imageCount: contents.reduce((n, c) => n + (c.parts ?? []).filter((p) => (p.inlineData ?? p.fileData)?.mimeType?.startsWith('image/')).length, 0),
    tools: (b.tools ?? []).flatMap((t) => t.functionDeclarations ?? []).map((d) => ({ name: d.name ?? 'tool', schema: d.parametersJsonSchema ?? jsonSchemaOf(d.parameters) })),
    toolChoice: fc?.mode === 'NONE' ? 'none' : fc?.mode === 'ANY' ? (fc.allowedFunctionNames?.[0] ?? 'required') : 'auto',
    json: g.responseMimeType === 'application/json' ? (schema ? { schema } : 'object') : 'none',
    maxTokens: g.maxOutputTokens,
    stop: g.stopSequences,
  };
}
