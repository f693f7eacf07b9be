import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedRate } from '../../../bench/latency.js';

describe('bench fixedRate', () => {
  let server: Server;
  let served = 0;
  let origin = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      served++;
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // The benchmark divides a process's CPU time over the whole call by `started`: the warm-up's
  // requests use CPU too, so a count of the measured ones alone overstates the cost per request.
  it('reports every request it started, the unrecorded warm-up included', async () => {
    served = 0;
    const r = await fixedRate({ origin, path: '/', body: '{}', headers: {}, rate: 200, durationS: 0.25, warmupS: 0.25 });
    expect(r.sent).toBe(50);
    expect(r.ok).toBe(50);
    expect(r.started).toBe(100);
    expect(served).toBe(r.started);
  });
});
