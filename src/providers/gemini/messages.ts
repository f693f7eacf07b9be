import type { ContentPart, Message, ToolCall } from '../../canonical/index.js';
import { InvalidRequestError, UnsupportedParameterError } from '../../errors.js';
import { GEMINI } from './endpoint.js';
import type { GeminiContent, GeminiPart } from './wire.js';

/** The conversation in Gemini's terms. */
export interface GeminiPrompt {
  systemInstruction?: GeminiContent;
  contents: GeminiContent[];
  /** generationConfig.mediaResolution, from the images' `detail` (Gemini sets it per request). */
  mediaResolution?: 'MEDIA_RESOLUTION_LOW' | 'MEDIA_RESOLUTION_HIGH';
}

const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+);base64,(.*)$/is;
const RESOLUTION = { low: 'MEDIA_RESOLUTION_LOW', high: 'MEDIA_RESOLUTION_HIGH' } as const;

/**
 * Canonical messages → Gemini contents.
 * - System messages, wherever they stand, become one systemInstruction: their texts joined by a
 *   blank line, in order (Gemini has no system turns).
 * - assistant → role "model"; tool results → a "user" turn of functionResponse parts, named after
 *   the assistant tool call they answer. Consecutive turns of the same role are merged, as
 *   Gemini expects strict user/model alternation.
 * - Empty text parts are left out (Gemini rejects them); a turn left with no parts is dropped.
 */
export function toGeminiPrompt(messages: Message[]): GeminiPrompt {
  const system: string[] = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  const details = new Set<'low' | 'high'>();
  const push = (role: 'user' | 'model', parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  messages.forEach((m, i) => {
    switch (m.role) {
      case 'system':
        if (m.text) system.push(m.text);
        return;
      case 'user':
        if (m.name !== undefined) throw noNames(i);
        return push('user', m.content.flatMap((p, j) => userPart(p, i, j, details)));
      case 'assistant': {
        if (m.name !== undefined) throw noNames(i);
        const parts: GeminiPart[] = m.text ? [{ text: m.text }] : [];
        (m.toolCalls ?? []).forEach((c, k) => {
          callNames.set(c.id, c.name);
          parts.push({ functionCall: { id: c.id, name: c.name, args: parseArguments(c, i, k) } });
        });
        return push('model', parts);
      }
      case 'tool': {
        const name = callNames.get(m.toolCallId);
        if (name === undefined) {
          throw new InvalidRequestError(`messages[${i}]: tool_call_id '${m.toolCallId}' does not answer any earlier assistant tool call.`, {
            param: `messages[${i}].tool_call_id`,
          });
        }
        return push('user', [{ functionResponse: { id: m.toolCallId, name, response: functionResponse(m.text) } }]);
      }
    }
  });

  if (contents.length === 0) {
    throw new InvalidRequestError('Gemini needs at least one user or assistant message with content besides system messages.', { param: 'messages' });
  }
  if (details.size > 1) {
    throw new UnsupportedParameterError('image_url.detail', GEMINI, "Gemini sets one media resolution per request; these images ask for both 'low' and 'high'");
  }
  const prompt: GeminiPrompt = { contents };
  if (system.length > 0) prompt.systemInstruction = { parts: [{ text: system.join('\n\n') }] };
  const [detail] = details;
  if (detail) prompt.mediaResolution = RESOLUTION[detail];
  return prompt;
}

function noNames(i: number): UnsupportedParameterError {
  return new UnsupportedParameterError(`messages[${i}].name`, GEMINI, 'Gemini conversations have no participant names');
}

/**
 * Images must travel inline: Gemini's fileData only takes URIs of files uploaded to its own
 * Files API (tied to one API key's project), and the gateway does not fetch URLs for clients.
 */
function userPart(p: ContentPart, i: number, j: number, details: Set<'low' | 'high'>): GeminiPart[] {
  if (p.type === 'text') return p.text ? [{ text: p.text }] : [];
  const m = DATA_URL.exec(p.url);
  if (!m) {
    throw new InvalidRequestError(
      `messages[${i}].content[${j}]: the Gemini provider cannot fetch image URLs; send the image inline as a base64 data: URL (data:image/png;base64,…).`,
      { param: `messages[${i}].content[${j}].image_url.url`, code: 'unsupported_image_url' },
    );
  }
  if (p.detail === 'low' || p.detail === 'high') details.add(p.detail);
  return [{ inlineData: { mimeType: m[1]!.toLowerCase(), data: m[2]! } }];
}

/** Gemini takes function arguments as a JSON object, not as text. */
function parseArguments(c: ToolCall, i: number, k: number): Record<string, unknown> {
  if (c.arguments.trim() === '') return {};
  let args: unknown;
  try {
    args = JSON.parse(c.arguments);
  } catch {
    args = undefined;
  }
  if (!args || typeof args !== 'object' || Array.isArray(args)) {
    throw new InvalidRequestError(
      `messages[${i}].tool_calls[${k}].function.arguments must be a JSON object for the Gemini provider; got ${JSON.stringify(c.arguments.slice(0, 80))}.`,
      { param: `messages[${i}].tool_calls[${k}].function.arguments`, code: 'invalid_tool_arguments' },
    );
  }
  return args as Record<string, unknown>;
}

/** functionResponse.response must be an object: JSON object text is sent as that object, anything else as {result: text}. */
export function functionResponse(text: string): Record<string, unknown> {
  const t = text.trimStart();
  if (t.startsWith('{')) {
    try {
      const v: unknown = JSON.parse(text);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not JSON: wrapped below
    }
  }
  return { result: text };
}
