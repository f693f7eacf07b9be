/** One chat request to a gateway with `apiKey` (model `m`, the tests' own catalogue); its status, the body read. */
export async function chatStatus(gatewayUrl: string, apiKey: string, model = 'm'): Promise<number> {
  const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello there gateway' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}
