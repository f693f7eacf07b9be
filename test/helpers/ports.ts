import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 now, other than `exclude` (ports picked for servers not started yet). */
export async function freePort(exclude: readonly number[] = []): Promise<number> {
  for (;;) {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    if (!exclude.includes(port)) return port;
  }
}
