import { pino, type Logger } from 'pino';

export type { Logger };

/** The relay's JSON logger (pino), one line per event on stdout. Payloads are never logged. */
export function createRelayLogger(options: { level: string; instanceId: string }): Logger {
  return pino({
    name: 'mini-chat-relay',
    level: options.level,
    base: { pid: process.pid, instance: options.instanceId },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
