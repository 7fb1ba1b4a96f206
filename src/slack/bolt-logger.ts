/** Bolt's Logger interface on top of our redacting pino logger. */
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../base/logger.js';

export function boltLogger(base: Logger): BoltLogger {
  let log = base.child({ component: 'bolt' });
  let level: LogLevel = LogLevel.INFO;
  const fmt = (msg: unknown[]): string =>
    msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg: unknown[]) => log.debug(fmt(msg)),
    info: (...msg: unknown[]) => log.info(fmt(msg)),
    warn: (...msg: unknown[]) => log.warn(fmt(msg)),
    error: (...msg: unknown[]) => log.error(fmt(msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: (name: string) => {
      log = base.child({ component: name });
    },
  };
}
