/**
 * The YAML configuration file (`DRAWBRIDGE_CONFIG`, default `./drawbridge.yml`), validated with zod.
 * Secrets are never inline: they are referenced by environment variable name (`…Env`) or file path
 * (`…File`) and resolved only when needed (see secrets.ts).
 */
import * as z from 'zod';
import { monitorSchema } from './monitor-schema.js';
import { rehearsalSchema } from './rehearsal-schema.js';
import { freezeSchema, recurringWindowSchema, remindersSchema } from './window-schema.js';

const nonEmpty = z.string().min(1, 'expected a non-empty string');
const positiveInt = z.number().int('expected a whole number').min(1, 'expected a number >= 1');
const nonNegativeInt = z.number().int('expected a whole number').min(0, 'expected a number >= 0');
/** An executable plus its arguments; never a shell string. */
const commandArray = z
  .array(nonEmpty, 'expected a list of strings (the command and its arguments)')
  .min(1, 'expected at least the command name');

const userOrGroupId = z
  .string()
  .regex(/^[US][A-Z0-9]{2,}$/, 'expected a Slack user id (U…) or user group id (S…)');
const envNamePattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const envVarName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name');

const databaseSchema = z
  .object({
    /** Name of the environment variable that holds the database URL. */
    urlEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name')
      .optional(),
    /** Path of a file that holds the database URL (e.g. a mounted secret). */
    urlFile: nonEmpty.optional(),
    /**
     * The direct (non-pooled) URL, like Prisma's `directUrl`: when set, everything that migrates, locks,
     * dumps or restores, and status and plan reads too, use it instead of the URL above (which may then
     * point at a pooler such as pgBouncer). Name of an environment variable, or a file (not both).
     */
    directUrlEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name')
      .optional(),
    directUrlFile: nonEmpty.optional(),
    /** direct: connect from here; bastion: through an SSH local forward on the executor's host. */
    via: z.enum(['direct', 'bastion']).default('direct'),
  })
  .strict()
  .refine((d) => (d.urlEnv ? 1 : 0) + (d.urlFile ? 1 : 0) === 1, {
    message: 'expected exactly one of urlEnv or urlFile',
  })
  .refine((d) => !(d.directUrlEnv && d.directUrlFile), {
    message: 'expected at most one of directUrlEnv or directUrlFile',
  });

/**
 * The environment's shadow database (issue 14): a database Drawbridge owns and may empty, for the drift
 * check and the rehearsal (Prisma users know it as `SHADOW_DATABASE_URL`). Reached the same way as the
 * target (`database.via`). Exactly one of `urlEnv` or `urlFile`. It must never be the target itself:
 * that is refused at start-up and before each use.
 */
const shadowDatabaseSchema = z
  .object({
    /** Name of the environment variable that holds the shadow database URL. */
    urlEnv: envVarName.optional(),
    /** Path of a file that holds the shadow database URL. */
    urlFile: nonEmpty.optional(),
  })
  .strict()
  .refine((d) => (d.urlEnv ? 1 : 0) + (d.urlFile ? 1 : 0) === 1, {
    message: 'expected exactly one of urlEnv or urlFile',
  });

const executorSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('local') }).strict(),
  z
    .object({
      type: z.literal('ssh'),
      host: nonEmpty,
      port: z.number().int().min(1).max(65535).default(22),
      user: nonEmpty,
      identityFile: nonEmpty,
      knownHostsFile: nonEmpty,
    })
    .strict(),
]);

const approvalsSchema = z
  .object({
    required: positiveInt.default(1),
    approvers: z.array(userOrGroupId).default([]),
    allowSelfApproval: z.boolean().default(false),
    expiresAfterMinutes: positiveInt.default(60),
  })
  .strict();

const backupSchema = z
  .object({
    dir: nonEmpty.optional(),
    keep: positiveInt.default(10),
    copyOff: commandArray.optional(),
    copyOffRequired: z.boolean().default(false),
    /**
     * Fetches a backup whose local file is gone back from its copy-off location before a restore,
     * on the host that keeps the backups: `{file}` is the local path to write, `{name}` the file
     * name, e.g. `["aws", "s3", "cp", "s3://bucket/backups/{name}", "{file}"]`. The fetched file
     * must have the sha256 recorded at backup time, or it is deleted and the restore refused.
     */
    copyBack: commandArray.optional(),
    /**
     * `custom` (default): one file, `pg_dump -Fc`. `directory`: a directory of the same name,
     * `pg_dump -Fd --jobs=<jobs>`, hashed as a manifest of its files; `{file}` in copyOff/copyBack
     * is then the directory (use a recursive copy, e.g. `aws s3 cp --recursive`, `rsync -a`).
     */
    format: z.enum(['custom', 'directory']).default('custom'),
    /** Parallel pg_dump workers (each one more database connection); more than 1 only with `directory`. */
    jobs: positiveInt.default(1),
  })
  .strict()
  .refine((b) => b.jobs === 1 || b.format === 'directory', {
    message: 'backup.jobs > 1 needs backup.format: directory (a custom-format dump is one stream)',
    path: ['jobs'],
  });

const healthcheckSchema = z
  .object({
    url: z.url('expected a URL'),
    expectStatus: z.number().int().min(100).max(599).default(200),
    timeoutMs: positiveInt.default(5000),
    retries: nonNegativeInt.default(5),
    /**
     * How long to wait after maintenance mode is off and the post-deploy commands ran before the
     * first health request (an application reloading its config, a load balancer noticing); 0: none.
     */
    settleMs: nonNegativeInt.default(0),
  })
  .strict();

/** Watchdogs that keep a run from hanging on a silent network or a stuck command. */
const watchdogSchema = z
  .object({
    /** During apply: how long the database may stay silent before the session is declared lost. */
    silenceMs: positiveInt.default(15000),
    /** How long Cancel may take (connecting included) before the migration session is abandoned. */
    cancelTimeoutMs: positiveInt.default(5000),
    /** After a lost session: how long to keep trying to reach the database to decide the outcome. */
    outcomeWaitMs: positiveInt.default(60000),
    /** Any step that reports no progress for this long is stopped (fractions allowed). */
    stepStallMinutes: z.number().positive('expected a number > 0').default(30),
  })
  .strict();

const WATCHDOG_DEFAULTS = {
  silenceMs: 15000,
  cancelTimeoutMs: 5000,
  outcomeWaitMs: 60000,
  stepStallMinutes: 30,
};

const environmentSchema = z
  .object({
    database: databaseSchema,
    shadowDatabase: shadowDatabaseSchema.optional(),
    migrations: nonEmpty.default('./prisma/migrations'),
    runner: z.enum(['native', 'prisma']).default('native'),
    prisma: z
      .object({
        command: commandArray.default(['npx', 'prisma', 'migrate', 'deploy']),
        cwd: nonEmpty.default('.'),
      })
      .strict()
      .default({ command: ['npx', 'prisma', 'migrate', 'deploy'], cwd: '.' }),
    executor: executorSchema.default({ type: 'local' }),
    backup: backupSchema.default({ keep: 10, copyOffRequired: false, format: 'custom', jobs: 1 }),
    approvals: approvalsSchema.default({
      required: 1,
      approvers: [],
      allowSelfApproval: false,
      expiresAfterMinutes: 60,
    }),
    lockTimeoutMs: nonNegativeInt.default(3000),
    lockRetries: nonNegativeInt.default(5),
    advisoryLockWaitMs: nonNegativeInt.default(10000),
    statementTimeoutMs: nonNegativeInt.default(0),
    watchdog: watchdogSchema.default(WATCHDOG_DEFAULTS),
    healthcheck: healthcheckSchema.optional(),
    criticalTables: z.array(nonEmpty).default([]),
    postDeploy: z.array(commandArray).default([]),
    /** Recurring maintenance windows of this environment. */
    windows: z.array(recurringWindowSchema).default([]),
    /** Freezes of this environment (the top-level `freezes` apply too). */
    freezes: z.array(freezeSchema).default([]),
    /**
     * Names of variables of the bot's environment passed to this environment's commands (Prisma,
     * maintenance, post-deploy, copy-off…), locally and over SSH (by standard input, never on a
     * command line). Each must be set at start-up; each value is redacted everywhere.
     */
    commandEnv: z.array(envVarName).default([]),
    /**
     * Deploys only inside a maintenance window: outside one, `/migrate deploy` offers the next window,
     * and the run, approved ahead, starts by itself at its start.
     */
    requireWindow: z.boolean().default(false),
    /**
     * The soak gate: a deploy here is refused unless every planned migration, with the same
     * checksum, finished on `afterEnv` (read from its own `_prisma_migrations`) at least `soakHours`
     * ago (fractions allowed). `afterEnv` must name another environment of this file.
     */
    gate: z
      .object({
        afterEnv: z.string().regex(envNamePattern, 'expected an environment name'),
        soakHours: z.number().positive('expected a number > 0'),
      })
      .strict()
      .optional(),
    maintenance: z
      .object({ on: commandArray, off: commandArray, offOnFailure: z.boolean().default(false) })
      .strict()
      .optional(),
    statuspage: z
      .object({
        pageId: nonEmpty,
        componentIds: z.array(nonEmpty).default([]),
        apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name'),
        apiUrl: z.url('expected a URL').default('https://api.statuspage.io/v1'),
        /** Component status while a failed run's maintenance stays open. */
        onFailure: z
          .enum([
            'operational',
            'degraded_performance',
            'partial_outage',
            'major_outage',
            'under_maintenance',
          ])
          .default('degraded_performance'),
      })
      .strict()
      .optional(),
    monitor: monitorSchema.optional(),
    /** The rehearsal on the shadow database (rehearsal-schema.ts); needs `shadowDatabase`. */
    rehearsal: rehearsalSchema.optional(),
  })
  .strict()
  .refine((env) => env.rehearsal === undefined || env.shadowDatabase !== undefined, {
    path: ['rehearsal'],
    message: 'a rehearsal runs on the shadow database: set shadowDatabase too, or remove rehearsal',
  });

/** Each gate's `afterEnv` names another environment of the file. */
function gateTargetsExist(
  envs: Record<string, { gate?: { afterEnv: string } | undefined }>,
  ctx: z.RefinementCtx,
): void {
  for (const [name, env] of Object.entries(envs)) {
    const after = env.gate?.afterEnv;
    if (after === undefined) continue;
    const message =
      after === name
        ? `\`${after}\` is this environment itself; name the environment deploys must soak on first`
        : Object.hasOwn(envs, after)
          ? undefined
          : `there is no environment named \`${after}\` (environments: ${Object.keys(envs).join(', ')})`;
    if (message) ctx.addIssue({ code: 'custom', path: [name, 'gate', 'afterEnv'], message });
  }
}

export const fileConfigSchema = z
  .object({
    slack: z
      .object({ channel: z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'expected a Slack channel id (C…)') })
      .strict(),
    shutdown: z
      .object({
        /** On SIGTERM: how long to wait for work under way (Slack answers, steps other than apply). */
        drainSeconds: positiveInt.default(30),
        /** On SIGTERM during apply: how long to wait for the running migration to end and be recorded. */
        applyWaitSeconds: positiveInt.default(600),
      })
      .strict()
      .default({ drainSeconds: 30, applyWaitSeconds: 600 }),
    delivery: z
      .object({
        /** How long the outbox keeps retrying a message (Slack, status page, webhook) before giving up. */
        horizonHours: z.number().positive('expected a number > 0').default(24),
      })
      .strict()
      .default({ horizonHours: 24 }),
    /**
     * The bot's own `GET /metrics` (Prometheus text), kept off the public Slack path: `port` serves it
     * on a server of its own (bound to `host`, default 127.0.0.1); `tokenEnv` names the variable whose
     * value a scrape must send as `Authorization: Bearer …` on the main port. Neither: not served.
     */
    metrics: z
      .object({
        port: z.number().int().min(0).max(65535).optional(),
        host: nonEmpty.default('127.0.0.1'),
        tokenEnv: envVarName.optional(),
      })
      .strict()
      .default({ host: '127.0.0.1' }),
    reminders: remindersSchema.default({ offsetsHours: [48, 24, 1] }),
    /** Freezes that apply to every environment. */
    freezes: z.array(freezeSchema).default([]),
    webhooks: z
      .array(
        z
          .object({
            url: z.url('expected a URL'),
            secretEnv: z
              .string()
              .regex(/^[A-Z_][A-Z0-9_]*$/)
              .optional(),
          })
          .strict(),
      )
      .default([]),
    environments: z
      .record(
        z.string().regex(envNamePattern, 'environment names are lower-case letters, digits, - and _'),
        environmentSchema,
      )
      .refine((envs) => Object.keys(envs).length > 0, { message: 'expected at least one environment' })
      .superRefine(gateTargetsExist),
  })
  .strict();

export type FileConfig = z.infer<typeof fileConfigSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type ExecutorConfig = z.infer<typeof executorSchema>;
export type ApprovalsConfig = z.infer<typeof approvalsSchema>;
/** A recurring window after validation: `{ cron, durationMs, timezone, title }`. */
export type RecurringWindowConfig = z.output<typeof recurringWindowSchema>;
/** A freeze after validation: `{ from, to, reason }` in ms, covering [from, to). */
export type FreezeConfig = z.output<typeof freezeSchema>;
export type MonitorConfig = z.infer<typeof monitorSchema>;
export { envNamePattern };
