/**
 * The JSON Schema of a Responses API body (POST /v1/responses), for shapes and ranges. Which
 * fields the gateway honours, and how, is the field table's business (fields.ts); input items
 * are read by input.ts, which names the item at fault.
 */

const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });

const functionTool = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string' },
    name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' },
    description: nullable({ type: 'string' }),
    parameters: nullable({ type: 'object' }),
    strict: nullable({ type: 'boolean' }),
  },
};

const textFormat = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { enum: ['text', 'json_object', 'json_schema'] },
    name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' },
    description: { type: 'string' },
    schema: { type: 'object' },
    strict: nullable({ type: 'boolean' }),
  },
};

export const responsesSchema = {
  type: 'object',
  required: ['model'],
  properties: {
    model: { type: 'string', minLength: 1, maxLength: 256 },
    input: { anyOf: [{ type: 'string' }, { type: 'array', minItems: 1, items: { type: 'object' } }] },
    instructions: nullable({ type: 'string' }),
    stream: nullable({ type: 'boolean' }),
    stream_options: nullable({ type: 'object', properties: { include_obfuscation: { type: 'boolean' } }, additionalProperties: false }),
    max_output_tokens: nullable({ type: 'integer', minimum: 1 }),
    temperature: nullable({ type: 'number', minimum: 0, maximum: 2 }),
    top_p: nullable({ type: 'number', minimum: 0, maximum: 1 }),
    parallel_tool_calls: nullable({ type: 'boolean' }),
    user: { type: 'string', maxLength: 512 },
    safety_identifier: nullable({ type: 'string', maxLength: 512 }),
    prompt_cache_key: nullable({ type: 'string' }),
    prompt_cache_retention: nullable({ enum: ['in_memory', '24h'] }),
    service_tier: nullable({ enum: ['auto', 'default', 'flex', 'scale', 'priority'] }),
    metadata: nullable({ type: 'object', maxProperties: 16, additionalProperties: { type: 'string', maxLength: 512 } }),
    store: nullable({ type: 'boolean' }),
    background: nullable({ type: 'boolean' }),
    truncation: nullable({ enum: ['auto', 'disabled'] }),
    include: nullable({ type: 'array', items: { type: 'string' } }),
    top_logprobs: nullable({ type: 'integer', minimum: 0, maximum: 20 }),
    max_tool_calls: nullable({ type: 'integer', minimum: 1 }),
    reasoning: nullable({
      type: 'object',
      properties: {
        effort: nullable({ enum: ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] }),
        summary: nullable({ enum: ['auto', 'concise', 'detailed'] }),
        generate_summary: nullable({ enum: ['auto', 'concise', 'detailed'] }),
      },
      additionalProperties: false,
    }),
    text: {
      type: 'object',
      properties: { format: textFormat, verbosity: nullable({ enum: ['low', 'medium', 'high'] }) },
      additionalProperties: false,
    },
    tools: { type: 'array', maxItems: 128, items: functionTool },
    tool_choice: {
      anyOf: [
        { enum: ['none', 'auto', 'required'] },
        { type: 'object', required: ['type'], properties: { type: { type: 'string' }, name: { type: 'string' } } },
      ],
    },
  },
} as const;

/** The body as the schema guarantees it. */
export interface WireResponsesBody {
  model: string;
  input?: string | Record<string, unknown>[];
  instructions?: string | null;
  stream?: boolean | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  parallel_tool_calls?: boolean | null;
  user?: string;
  reasoning?: { effort?: string | null; summary?: string | null; generate_summary?: string | null } | null;
  text?: { format?: WireTextFormat; verbosity?: string | null };
  tools?: WireTool[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: string; name?: string };
  [field: string]: unknown;
}

export interface WireTool {
  type: string;
  name?: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
}

export interface WireTextFormat {
  type: 'text' | 'json_object' | 'json_schema';
  name?: string;
  description?: string;
  schema?: Record<string, unknown>;
  strict?: boolean | null;
}
