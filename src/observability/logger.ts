import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Lines wait at most this long, or until this many characters are gathered, before they are written. */
const GATHER_MS = 100;
const GATHER_CHARS = 32_768;

/**
 * JSON logs through pino. The default destination gathers lines in memory and hands them to
 * sonic-boom (pino's asynchronous file writer) as one string every GATHER_MS or GATHER_CHARS:
 * measured, sonic-boom's own buffering of many small lines (appending each to its buffer) cost
 * about twice pino's serialisation of the line, ~8 µs a request line; one hand-over of
 * dozens of lines costs next to nothing. What is still gathered when the process exits is
 * written synchronously. Secrets never enter a log object: request lines are built from an
 * allow-list of scalar fields (pipeline/finish.ts), so no per-line redaction pass is needed
 * (test/integration/observability.test.ts checks it).
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tollgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? gathered(pino.destination({ dest: 1, sync: false, minLength: 0 })),
  );
}

type Boom = ReturnType<typeof pino.destination>;

function gathered(boom: Boom): DestinationStream & { flush(cb?: (err?: Error) => void): void; flushSync(): void } {
  let lines: string[] = [];
  let chars = 0;
  let timer: NodeJS.Timeout | undefined;
  const handOver = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (lines.length === 0) return;
    const text = lines.length === 1 ? lines[0]! : lines.join('');
    lines = [];
    chars = 0;
    boom.write(text);
  };
  const flushSync = () => {
    handOver();
    try {
      boom.flushSync();
    } catch {
      // Still opening, or the destination is gone: nothing more can be done at exit.
    }
  };
  process.once('exit', flushSync);
  return {
    write(line: string) {
      lines.push(line);
      chars += line.length;
      if (chars >= GATHER_CHARS) handOver();
      else if (!timer) timer = setTimeout(handOver, GATHER_MS).unref();
    },
    flush(cb) {
      handOver();
      boom.flush(cb);
    },
    flushSync,
  };
}
