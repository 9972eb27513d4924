import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { REDACT_PATHS } from './index.js';

/**
 * The process logger, on stderr. In a terminal: readable lines, written synchronously so that they keep
 * their order with what the process prints on stdout (the `start` banner, progress) — a pino transport
 * would format in a worker thread and its lines would land in the middle of the banner. Otherwise (a
 * pipe, a file, a container, NODE_ENV=production): one JSON object per line, for log collectors.
 * Secrets are redacted by path, and no code logs a token or password value in the first place.
 */
export function createLogger(level: string, options: { name?: string; pretty?: boolean } = {}): Logger {
  const readable = options.pretty ?? (process.stderr.isTTY === true && process.env.NODE_ENV !== 'production');
  return pino(
    {
      name: options.name ?? 'shewhart',
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    readable
      ? pretty({
          destination: 2,
          sync: true,
          colorize: process.stderr.isTTY === true && !process.env.NO_COLOR,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
        })
      : pino.destination({ dest: 2, sync: true }),
  );
}
