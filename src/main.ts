/**
 * Entry point of the bot: parse the configuration once, build the adapters, start the Slack app,
 * and drain cleanly on SIGTERM/SIGINT.
 */
import { createLogger } from './base/logger.js';
import { describeError } from './base/errors.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { launchBot } from './compose.js';

export async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ requireSlack: true });
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : describeError(err)}\n`);
    process.exit(2);
  }
  const logger = createLogger({ level: config.env.LOG_LEVEL });
  let running;
  try {
    running = await launchBot(config, logger);
  } catch (err) {
    logger.fatal({ err: describeError(err) }, 'could not start the Slack app');
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, inflight: running.inflight.size }, 'shutting down: draining work under way');
    void running
      .stop()
      .then(({ undecided }) => {
        // Non-zero when a run was left with its migration still running: a supervisor must know.
        if (undecided.length > 0) {
          logger.error({ runs: undecided }, 'stopped with run(s) undecided');
          process.exit(3);
        }
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err: describeError(err) }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
