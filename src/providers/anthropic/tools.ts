import type { ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../canonical/index.js';
import { InvalidRequestError } from '../../errors.js';

/**
 * JSON mode on Anthropic: the gateway offers one tool whose input schema is the requested format
 * and forces the model to call it; the call's input is the answer, returned to the client as the
 * message text with finish_reason 'stop'. The name is reserved so the response translators can
 * tell this call from the client's own tools without seeing the request.
 */
export const JSON_TOOL_NAME = 'tollgate_json_response';

const EMPTY_SCHEMA = { type: 'object', properties: {} } as const;

function toAnthropicTool(t: ToolDefinition, i: number): Record<string, unknown> {
  if (t.name === JSON_TOOL_NAME) {
    throw new InvalidRequestError(`tools[${i}]: the tool name '${JSON_TOOL_NAME}' is reserved by the gateway.`, { param: `tools[${i}].function.name` });
  }
  const out: Record<string, unknown> = { name: t.name };
  if (t.description !== undefined) out.description = t.description;
  out.input_schema = t.parameters ?? EMPTY_SCHEMA;
  if (t.strict !== undefined) out.strict = t.strict;
  return out;
}

function toolChoiceType(choice: ToolChoice): Record<string, unknown> {
  if (choice === 'required') return { type: 'any' };
  if (typeof choice === 'string') return { type: choice };
  return { type: 'tool', name: choice.name };
}

function jsonTool(format: Exclude<ResponseFormat, { type: 'text' }>): Record<string, unknown> {
  if (format.type === 'json_object') {
    return { name: JSON_TOOL_NAME, description: 'Give your complete answer as the input of this tool: one JSON object.', input_schema: { type: 'object' } };
  }
  if (format.schema.type !== 'object') {
    throw new InvalidRequestError("response_format.json_schema.schema must have type 'object' at its root for the Anthropic provider.", {
      param: 'response_format.json_schema.schema',
    });
  }
  const about = format.description ? ` ${format.description}` : '';
  const out: Record<string, unknown> = {
    name: JSON_TOOL_NAME,
    description: `Give your complete answer as the input of this tool: a JSON object following the '${format.name}' schema.${about}`,
    input_schema: format.schema,
  };
  if (format.strict) out.strict = true;
  return out;
}

/**
 * Writes `tools` and `tool_choice`. The parameter table may already have put
 * `tool_choice.disable_parallel_tool_use` in place (parallel_tool_calls=false); it is kept when
 * the client's tools can be called and dropped when they cannot.
 */
export function applyToolsAndFormat(req: ChatRequest, body: Record<string, unknown>): void {
  const fromParams = body.tool_choice as { disable_parallel_tool_use?: boolean } | undefined;
  delete body.tool_choice;
  const format = req.responseFormat?.type === 'text' ? undefined : req.responseFormat;
  if (format) {
    if (req.tools) {
      throw new InvalidRequestError(
        'The Anthropic provider cannot combine response_format with tools: JSON mode is itself a forced tool call. Send one or the other.',
        { param: 'response_format' },
      );
    }
    body.tools = [jsonTool(format)];
    body.tool_choice = { type: 'tool', name: JSON_TOOL_NAME, disable_parallel_tool_use: true };
    return;
  }
  if (!req.tools) return;
  body.tools = req.tools.map(toAnthropicTool);
  const choice = toolChoiceType(req.toolChoice ?? 'auto');
  if (choice.type !== 'none' && fromParams?.disable_parallel_tool_use) choice.disable_parallel_tool_use = true;
  if (req.toolChoice !== undefined || choice.disable_parallel_tool_use) body.tool_choice = choice;
}
