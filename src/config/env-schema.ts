/** Environment variables of the process (the public contract in ARCHITECTURE.md). */
import * as z from 'zod';

const level = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const processEnvSchema = z.object({
  /** Bot token (xoxb-…). Needed by the bot, not by the CLI. */
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-/, 'expected a bot token starting with xoxb-')
    .optional(),
  /** Signing secret of the Slack app; needed in HTTP mode. */
  SLACK_SIGNING_SECRET: z.string().min(8, 'expected the signing secret from the app settings').optional(),
  /** App-level token (xapp-…); when present the bot uses Socket Mode. */
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'expected an app-level token starting with xapp-')
    .optional(),
  /** Web API base URL override (tests and the demo point it at a loopback emulator). */
  SLACK_API_URL: z.url('expected a URL such as http://127.0.0.1:4010/api/').optional(),
  /** HTTP receiver port. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** YAML configuration file. */
  DRAWBRIDGE_CONFIG: z.string().min(1).default('./drawbridge.yml'),
  /** SQLite file and default backup directory. */
  DRAWBRIDGE_DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: level.default('info'),
  /**
   * Directories holding PostgreSQL client tools (`pg_dump`, `pg_restore`, `psql`) on the host that
   * runs an environment's commands, separated by `:`; looked at before the standard per-major
   * directories and PATH (core/backup/pg-client.ts).
   */
  DRAWBRIDGE_PG_BINDIR: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(':').filter((d) => d.trim() !== '')),
});

export type ProcessEnv = z.infer<typeof processEnvSchema>;
