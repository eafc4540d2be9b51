import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The process's JSON logger. Secrets and message content never go into log fields; the
 * redaction list is a second line of defence for headers that might be logged by accident.
 */
export function createLogger(options: { level: string; name: string }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['authorization', '*.authorization', 'token', '*.token', 'secret', '*.secret'], censor: '[redacted]' },
  });
}
