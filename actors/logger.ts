import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger } from 'pino';

/** Field paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'password',
  'pass',
  'token',
  'secret',
  '*.password',
  '*.pass',
  '*.token',
  '*.secret',
  'nats.password',
];

/**
 * The one root logger of a process: pino JSON to `file` (appended, created if missing) or to stderr,
 * secrets redacted. Actors take `root.child({ actor: address })`.
 */
export function createRootLogger(options: { file?: string; level?: string; town?: string } = {}): Logger {
  const destination =
    options.file === undefined
      ? pino.destination({ fd: 2, sync: true })
      : pino.destination({ dest: options.file, mkdir: true, append: true, sync: false });
  return pino(
    {
      level: options.level ?? process.env['GT_LOG_LEVEL'] ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { pid: process.pid, ...(options.town === undefined ? {} : { town: options.town }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
