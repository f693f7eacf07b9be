import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** One statement a client sent to Postgres, as it went over the wire. */
export interface TappedStatement {
  sql: string;
  /** The connection's application_name (the gateway's pool says `tollgate`). */
  application: string;
}

export interface PgTap {
  /** The target database's URL, pointed at the tap instead. */
  url: string;
  /** Every statement sent through the tap so far, in order (read it; it keeps growing). */
  readonly statements: TappedStatement[];
  close(): Promise<void>;
}

// Startup-phase request codes (PostgreSQL protocol 3.0, "Message Formats").
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

const cstring = (buf: Buffer, at: number): [string, number] => {
  const end = buf.indexOf(0, at);
  return [buf.toString('utf8', at, end), end + 1];
};

/**
 * A TCP relay in front of the real Postgres that reads what clients send and records each
 * statement: simple queries ('Q') and the parse step of extended queries ('P', one per
 * parameterised query in node-postgres). Tests point the gateway's DATABASE_URL at it to see
 * exactly what reaches the database, with nothing added to the gateway. It refuses TLS so the
 * stream stays readable.
 */
export async function startPgTap(targetUrl: string): Promise<PgTap> {
  const target = new URL(targetUrl);
  const statements: TappedStatement[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.pipe(client);

    let pending = Buffer.alloc(0);
    let started = false;
    let application = '';
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (!started) {
          if (pending.length < 8 || pending.length < pending.readInt32BE(0)) return;
          const len = pending.readInt32BE(0);
          const code = pending.readInt32BE(4);
          const message = pending.subarray(0, len);
          pending = pending.subarray(len);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            client.write('N');
            continue;
          }
          for (let at = 8; at < len - 1; ) {
            const [key, next] = cstring(message, at);
            const [value, after] = cstring(message, next);
            if (key === 'application_name') application = value;
            at = after;
          }
          started = true;
          upstream.write(message);
          continue;
        }
        if (pending.length < 5 || pending.length < 1 + pending.readInt32BE(1)) return;
        const message = pending.subarray(0, 1 + pending.readInt32BE(1));
        pending = pending.subarray(message.length);
        const type = String.fromCharCode(message[0]);
        if (type === 'Q') statements.push({ sql: cstring(message, 5)[0], application });
        if (type === 'P') statements.push({ sql: cstring(message, cstring(message, 5)[1])[0], application });
        upstream.write(message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    statements,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits (up to timeoutMs) until a statement starting with `prefix` has gone through the tap. */
export async function waitForStatement(tap: PgTap, prefix: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!tap.statements.some((s) => s.sql.startsWith(prefix))) {
    if (Date.now() > deadline) throw new Error(`no "${prefix}…" reached Postgres within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
