import type { ReceiverLogger } from './types.js';

/**
 * The default diagnostics sink: one line per message on stderr, `time level message {fields}`.
 * stdout stays free for the demo's records and for the host's own output.
 */
export function stderrLogger(minLevel: 'debug' | 'info' | 'warn' | 'error' = 'info'): ReceiverLogger {
  const order = ['debug', 'info', 'warn', 'error'] as const;
  const min = order.indexOf(minLevel);
  const line = (level: (typeof order)[number]) => (message: string, fields?: Record<string, unknown>) => {
    if (order.indexOf(level) < min) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${message}${extra}\n`);
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

/** Unix seconds as ISO 8601 for log lines; never throws (a date out of range prints as a number). */
export function isoSeconds(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? `${seconds} (Unix seconds)` : d.toISOString();
}

/** A team's stream's logger: its lines start with the team, and carry it as a field. */
export function teamLogger(logger: ReceiverLogger, team: string): ReceiverLogger {
  const prefix = `[team ${team}] `;
  return {
    debug: (message, fields) => logger.debug(prefix + message, { team, ...fields }),
    info: (message, fields) => logger.info(prefix + message, { team, ...fields }),
    warn: (message, fields) => logger.warn(prefix + message, { team, ...fields }),
    error: (message, fields) => logger.error(prefix + message, { team, ...fields }),
  };
}
