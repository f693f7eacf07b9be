import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs through pino with an asynchronous destination (the hot path never waits on stdout).
 * Anything that could carry a secret is redacted by path, and provider keys never enter a log
 * object in the first place.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tollgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers["x-goog-api-key"]',
          'headers.authorization',
          '*.secret',
          '*.apiKey',
          '*.api_key',
          'secret',
          'apiKey',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
