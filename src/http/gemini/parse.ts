import type { ChatRequest, ToolChoice, ToolDefinition } from '../../canonical/index.js';
import { InvalidRequestError } from '../../errors.js';
import { checkToolResults } from '../tool-results.js';
import { compileValidator } from '../validation.js';
import { contentsToMessages, systemText } from './contents.js';
import { applyGenerationConfig } from './generation-config.js';
import { openApiToJsonSchema } from './json-schema.js';
import { generateContentSchema, type WireFunctionDeclaration, type WireGenerateContentBody } from './schema.js';

const validate = compileValidator<WireGenerateContentBody>(generateContentSchema);

/** The routes: /v1beta/models/{model}:generateContent and :streamGenerateContent (and /v1/…). */
const METHODS: Readonly<Record<string, boolean>> = { generateContent: false, streamGenerateContent: true };

/** `{model}` and whether the answer streams, from a Gemini route's path (already matched by the listener). */
export function modelAndMethod(path: string): { model: string; stream: boolean } {
  const start = path.indexOf('/models/') + '/models/'.length;
  const colon = path.lastIndexOf(':');
  const stream = METHODS[path.slice(colon + 1)];
  let model: string;
  try {
    model = decodeURIComponent(path.slice(start, colon));
  } catch {
    throw new InvalidRequestError('The model name in the URL has a malformed percent-encoding.', { param: 'model' });
  }
  if (!model || stream === undefined) throw new InvalidRequestError(`No Gemini method at ${path}.`, { param: 'model' });
  return { model, stream };
}

/** Top-level fields the gateway cannot honour (→ 400 naming them). */
const UNSUPPORTED_FIELDS: Readonly<Record<string, string>> = {
  safetySettings: 'safety thresholds are Gemini-specific and not part of the gateway’s common parameters; omit safetySettings',
  cachedContent: 'Gemini context caches live in Gemini’s own store; send the content itself',
};
const KNOWN_FIELDS = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', ...Object.keys(UNSUPPORTED_FIELDS)]);

/** Validates a GenerateContentRequest (model and streaming from the path) and converts it to the canonical request. */
export function parseGenerateContent(body: unknown, path: string): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidRequestError('The request body must be a JSON object.');
  const { model, stream } = modelAndMethod(path);
  const b = validate(body);
  for (const key in b) {
    if (!KNOWN_FIELDS.has(key)) throw new InvalidRequestError(`Unknown parameter: '${key}'.`, { param: key, code: 'unknown_parameter' });
    const why = UNSUPPORTED_FIELDS[key];
    if (why && b[key] != null && !(Array.isArray(b[key]) && (b[key] as unknown[]).length === 0)) {
      throw new InvalidRequestError(`Parameter '${key}' is not supported by the gateway: ${why}.`, { param: key, code: 'unsupported_parameter' });
    }
  }
  const messages = contentsToMessages(b.contents);
  if (b.systemInstruction) messages.unshift({ role: 'system', text: systemText(b.systemInstruction) });
  checkToolResults(messages, () => 'contents');
  const req: ChatRequest = { model: model.startsWith('models/') ? model.slice(7) : model, messages, stream, includeUsage: false, params: {} };
  const tools = b.tools?.flatMap(toolsOf) ?? [];
  if (tools.length) req.tools = tools;
  const fc = b.toolConfig?.functionCallingConfig;
  if (fc?.mode) req.toolChoice = toolChoice(fc.mode, fc.allowedFunctionNames, req.tools);
  if (b.generationConfig) applyGenerationConfig(b.generationConfig, req);
  return req;
}

function toolsOf(t: NonNullable<WireGenerateContentBody['tools']>[number], i: number): ToolDefinition[] {
  for (const k in t) {
    if (k !== 'functionDeclarations') {
      throw new InvalidRequestError(`tools[${i}].${k}: only functionDeclarations are supported by the gateway (it runs no built-in tools).`, {
        param: `tools[${i}].${k}`,
        code: 'unsupported_parameter',
      });
    }
  }
  return (t.functionDeclarations ?? []).map((f, j) => toolOf(f, `tools[${i}].functionDeclarations[${j}]`));
}

function toolOf(f: WireFunctionDeclaration, at: string): ToolDefinition {
  for (const k of ['response', 'responseJsonSchema', 'behavior']) {
    if (f[k] != null) throw new InvalidRequestError(`${at}.${k} is not supported by the gateway.`, { param: `${at}.${k}`, code: 'unsupported_parameter' });
  }
  const out: ToolDefinition = { name: f.name };
  if (f.description !== undefined) out.description = f.description;
  const params = f.parametersJsonSchema ?? (f.parameters ? openApiToJsonSchema(f.parameters) : undefined);
  if (params) out.parameters = params;
  return out;
}

const MODES: Readonly<Record<string, ToolChoice | undefined>> = { MODE_UNSPECIFIED: undefined, AUTO: 'auto', ANY: 'required', NONE: 'none' };

function toolChoice(mode: string, allowed: string[] | undefined, tools: ToolDefinition[] | undefined): ToolChoice | undefined {
  const param = 'toolConfig.functionCallingConfig';
  if (mode === 'VALIDATED') throw new InvalidRequestError(`${param}.mode VALIDATED is not supported by the gateway.`, { param: `${param}.mode`, code: 'unsupported_parameter' });
  if (!tools && mode === 'ANY') throw new InvalidRequestError('functionCallingConfig mode ANY needs at least one function declaration.', { param: `${param}.mode` });
  const choice = MODES[mode];
  if (!allowed?.length || allowed.length === tools?.length) return choice;
  if (mode !== 'ANY' || allowed.length !== 1) {
    throw new InvalidRequestError('allowedFunctionNames is supported with mode ANY and one function name (or all of them).', { param: `${param}.allowedFunctionNames`, code: 'unsupported_parameter' });
  }
  if (!tools?.some((t) => t.name === allowed[0])) throw new InvalidRequestError(`allowedFunctionNames names '${allowed[0]}', which is not declared.`, { param: `${param}.allowedFunctionNames` });
  return { name: allowed[0]! };
}
