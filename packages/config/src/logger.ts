import pino, { type Logger } from 'pino';
import { REDACT_PATHS } from './index.js';

/**
 * The process logger: JSON lines in production, pretty output in a terminal. Secrets are redacted by
 * path, and no code logs a token or password value in the first place.
 */
export function createLogger(level: string, options: { name?: string; pretty?: boolean } = {}): Logger {
  const pretty = options.pretty ?? (process.stderr.isTTY === true && process.env.NODE_ENV !== 'production');
  return pino(
    {
      name: options.name ?? 'shewhart',
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      transport: pretty ? { target: 'pino-pretty', options: { destination: 2, colorize: true } } : undefined,
    },
    pretty ? undefined : pino.destination(2),
  );
}
