import type { ChatChoice, ChatResponse, ThinkingBlock, ToolCall } from '../../canonical/index.js';
import { malformedResponse, tryParseJson } from '../shared/errors.js';
import { JSON_TOOL_NAME } from './tools.js';
import { finishFromAnthropic, PROVIDER_NAME, usageFromAnthropic, type WireMessage } from './wire.js';

/**
 * Messages API response → canonical. Text blocks are joined; tool_use blocks become tool calls
 * (arguments = the input as JSON text), except the gateway's JSON-mode tool, whose input is the
 * answer text. Thinking blocks are kept with their signatures (a client continuing a tool-use turn
 * hands them back); the body itself is kept for an Anthropic client, which is sent it unchanged.
 */
export function parseAnthropicResponse(text: string): ChatResponse {
  const body = tryParseJson(text) as WireMessage | undefined;
  if (!body || typeof body !== 'object' || !Array.isArray(body.content)) {
    throw malformedResponse(PROVIDER_NAME, 'expected a message object with a content array');
  }
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  const thinking: ThinkingBlock[] = [];
  let json: string | undefined;
  for (const block of body.content) {
    if (block.type === 'text') texts.push(block.text ?? '');
    else if (block.type === 'thinking') thinking.push({ type: 'thinking', thinking: block.thinking ?? '', signature: block.signature ?? '' });
    else if (block.type === 'redacted_thinking') thinking.push({ type: 'redacted_thinking', data: block.data ?? '' });
    else if (block.type === 'tool_use') {
      const args = JSON.stringify(block.input ?? {});
      if (block.name === JSON_TOOL_NAME) json = args;
      else toolCalls.push({ id: block.id ?? '', name: block.name ?? '', arguments: args });
    }
  }
  const choice: ChatChoice = {
    index: 0,
    text: json ?? (texts.length > 0 ? texts.join('') : toolCalls.length > 0 ? null : ''),
    finishReason: finishFromAnthropic(body.stop_reason, json !== undefined && toolCalls.length === 0),
  };
  if (toolCalls.length > 0) choice.toolCalls = toolCalls;
  if (thinking.length > 0) choice.thinking = thinking;
  if (body.stop_sequence) choice.stopSequence = body.stop_sequence;
  const resp: ChatResponse = {
    id: body.id ?? '',
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? '',
    choices: [choice],
    systemFingerprint: null,
    raw: { format: 'anthropic', text },
  };
  if (body.usage && typeof body.usage === 'object') resp.usage = usageFromAnthropic(body.usage);
  return resp;
}
