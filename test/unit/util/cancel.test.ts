import { describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Cancel } from '../../../src/util/cancel.js';

describe('Cancel', () => {
  it('calls each listener once, at once for a listener that comes late, and not after it stopped listening', () => {
    const c = new Cancel();
    const seen: string[] = [];
    c.onAbort(() => seen.push('a'));
    const stop = c.onAbort(() => seen.push('b'));
    stop();
    c.abort();
    c.abort();
    c.onAbort(() => seen.push('late'));
    expect(seen).toEqual(['a', 'late']);
    expect(c.aborted).toBe(true);
    expect(c.listenerCount('abort')).toBe(0);
  });

  it('undici takes it as a signal: a request in flight is aborted', async () => {
    const server = createServer(() => undefined); // never answers
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const agent = new Agent();
    try {
      const c = new Cancel();
      const pending = request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { dispatcher: agent, signal: c }).catch((e: Error) => e);
      await once(server, 'request');
      c.abort();
      expect((await pending) as Error).toMatchObject({ name: 'AbortError' });
    } finally {
      await agent.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
