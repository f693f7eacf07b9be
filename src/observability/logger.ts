import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs through pino. The default destination is asynchronous and buffered: lines collect up
 * to 8 KB and go out in one write (one syscall per ~30 request lines instead of one each), with
 * a flush at least every 250 ms so nothing waits long at low traffic. Secrets never enter a log
 * object: request lines are built from an allow-list of scalar fields (pipeline/finish.ts),
 * so no per-line redaction pass is needed (test/integration/observability.test.ts checks it).
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  let dest = destination;
  if (!dest) {
    const boom = pino.destination({ dest: 1, sync: false, minLength: 8_192 });
    setInterval(() => boom.flush(), 250).unref();
    dest = boom as unknown as NodeJS.WritableStream;
  }
  return pino(
    {
      level,
      base: { service: 'tollgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    dest,
  );
}
