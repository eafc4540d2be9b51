import { DiagLogLevel, diag, type DiagLogger } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import { activeSpanIds } from './spans.ts';

export type { Logger };

/**
 * The process's JSON logger, one JSON object per line on stdout. Every line made inside a span
 * carries that span's `trace_id` and `span_id` (the pino mixin reads the active span), so a log
 * line leads to its trace and the trace to the audit event. Request fields (`tenant_id`,
 * `chat_id`, `request_id`, `turn_id`) come from child loggers where they are known.
 *
 * Secrets and message content never go into log fields; the redaction list is a second line of
 * defence for headers that might be logged by accident.
 */
export function createLogger(options: { level: string; name: string }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const ids = activeSpanIds();
      return ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
    },
    redact: { paths: ['authorization', '*.authorization', 'token', '*.token', 'secret', '*.secret'], censor: '[redacted]' },
  });
}

/** The log fields that identify a turn, under the names log queries use. */
export function turnLogFields(turn: { tenantId: string; chatId: string; requestId: string; turnId: string }) {
  return { tenant_id: turn.tenantId, chat_id: turn.chatId, request_id: turn.requestId, turn_id: turn.turnId };
}

/**
 * Sends the OpenTelemetry SDK's own diagnostics (a failed OTLP export, a bad OTEL_* value) to
 * `logger` as JSON lines, warnings and errors only, instead of the SDK's plain console output.
 */
export function logOpenTelemetryDiagnostics(logger: Logger): void {
  const child = logger.child({ component: 'opentelemetry' });
  const line = (level: 'error' | 'warn' | 'info' | 'debug') => (message: string, ...args: unknown[]) =>
    child[level]({ detail: args.map((arg) => (arg instanceof Error ? arg.message : String(arg))) }, message);
  const diagLogger: DiagLogger = { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug'), verbose: line('debug') };
  diag.setLogger(diagLogger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}
