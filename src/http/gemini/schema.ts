/**
 * The JSON Schema of a Gemini GenerateContentRequest body, for shapes and ranges. Which fields
 * the gateway honours is declared in fields.ts (top level) and generation-config.ts; parts are
 * read by contents.ts, which names the part at fault.
 */

const content = {
  type: 'object',
  required: ['parts'],
  properties: { role: { type: 'string' }, parts: { type: 'array', minItems: 1, items: { type: 'object' } } },
};

const functionDeclaration = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$' },
    description: { type: 'string' },
    parameters: { type: 'object' },
    parametersJsonSchema: { type: 'object' },
  },
};

export const generateContentSchema = {
  type: 'object',
  required: ['contents'],
  properties: {
    contents: { type: 'array', minItems: 1, items: content },
    systemInstruction: { anyOf: [content, { type: 'string' }] },
    tools: { type: 'array', items: { type: 'object', properties: { functionDeclarations: { type: 'array', items: functionDeclaration } } } },
    toolConfig: {
      type: 'object',
      properties: {
        functionCallingConfig: {
          type: 'object',
          properties: {
            mode: { enum: ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'] },
            allowedFunctionNames: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    },
    safetySettings: { type: 'array' },
    cachedContent: { type: 'string' },
    generationConfig: {
      type: 'object',
      properties: {
        temperature: { type: 'number', minimum: 0, maximum: 2 },
        topP: { type: 'number', minimum: 0, maximum: 1 },
        topK: { type: 'number' },
        maxOutputTokens: { type: 'integer', minimum: 1 },
        stopSequences: { type: 'array', items: { type: 'string' } },
        candidateCount: { type: 'integer', minimum: 1, maximum: 8 },
        seed: { type: 'integer' },
        presencePenalty: { type: 'number' },
        frequencyPenalty: { type: 'number' },
        responseLogprobs: { type: 'boolean' },
        logprobs: { type: 'integer', minimum: 0, maximum: 20 },
        responseMimeType: { type: 'string' },
        responseSchema: { type: 'object' },
        responseJsonSchema: { type: 'object' },
        responseModalities: { type: 'array', items: { type: 'string' } },
        thinkingConfig: {
          type: 'object',
          properties: { thinkingBudget: { type: 'integer', minimum: -1 }, includeThoughts: { type: 'boolean' }, thinkingLevel: { type: 'string' } },
          additionalProperties: false,
        },
      },
    },
  },
} as const;

export interface WirePart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType?: string; data?: string };
  functionCall?: { id?: string; name?: string; args?: Record<string, unknown> };
  functionResponse?: { id?: string; name?: string; response?: Record<string, unknown> };
  [other: string]: unknown;
}

export interface WireContent {
  role?: string;
  parts: WirePart[];
}

export interface WireFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  parametersJsonSchema?: Record<string, unknown>;
  [other: string]: unknown;
}

export type WireGenerationConfig = Record<string, unknown>;

export interface WireGenerateContentBody {
  contents: WireContent[];
  systemInstruction?: WireContent | string;
  tools?: ({ functionDeclarations?: WireFunctionDeclaration[] } & Record<string, unknown>)[];
  toolConfig?: { functionCallingConfig?: { mode?: string; allowedFunctionNames?: string[] } } & Record<string, unknown>;
  generationConfig?: WireGenerationConfig;
  [field: string]: unknown;
}
