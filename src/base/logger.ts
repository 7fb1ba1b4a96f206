/**
 * Structured JSON logs (pino). Every line passes through `redact` just before it is written, so a
 * secret reaches no log line whatever field or message it hides in.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { redact } from './redact.js';

export type Logger = PinoLogger;

export function createLogger(
  options: { level?: string; destination?: DestinationStream; name?: string } = {},
): Logger {
  return pino(
    {
      name: options.name ?? 'drawbridge',
      level: options.level ?? 'info',
      hooks: { streamWrite: (line: string) => redact(line) },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that drops everything (tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
