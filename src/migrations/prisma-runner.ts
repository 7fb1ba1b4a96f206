/**
 * `runner: prisma`: runs the configured Prisma CLI command (e.g. `npx prisma migrate deploy`) on the
 * target's executor, with DATABASE_URL (the database as that host sees it) only in its environment,
 * streams its redacted output, maps the exit to an outcome, and re-reads the ledger afterwards from
 * here: the database, not the CLI's words, says what happened.
 */
import { systemClock, type Clock } from '../base/clock.js';
import { DrawbridgeError, refusal, type Refusal } from '../base/errors.js';
import { redact } from '../base/redact.js';
import type { OutputLine } from '../exec/executor.js';
import { parseDatabaseUrl } from './connection.js';
import { compareWithApproved } from './plan-binding.js';
import { readMigrationsFolder } from './folder.js';
import type { RunnerTarget } from './runner-target.js';
import { getStatus } from './get-status.js';
import type { StatusReport } from './status.js';

/** Inputs of a Prisma CLI run. */
export interface PrismaRunOptions {
  /**
   * Where the command runs (`target.executor`) and the database it migrates: the command is given
   * `target.executorUrl` as DATABASE_URL and DIRECT_URL (environment only, never an argument); the ledger is read
   * before and after through `target.url`.
   */
  target: RunnerTarget;
  /** Executable and arguments, e.g. `['npx', 'prisma', 'migrate', 'deploy']`. Never a shell string. */
  command: readonly string[];
  cwd?: string;
  /** The folder the command deploys; used to re-read status before and after. */
  migrationsDir: string;
  /** Extra non-secret environment for the command. */
  env?: Readonly<Record<string, string>>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Each output line as it arrives, redacted. */
  onOutput?: (line: OutputLine) => void;
  clock?: Clock;
  /**
   * The approved migrations (names and checksums, in order). The CLI is not started unless exactly
   * these are pending with these bytes. (The CLI reads the files itself a moment later; the verify
   * step compares the checksums the ledger then records with the approved ones.)
   */
  expected?: readonly { readonly name: string; readonly checksum: string }[];
}

/** How the run ended, with the ledger as truth. */
export interface PrismaRunResult {
  /** `succeeded` needs exit 0 AND no failed row afterwards. */
  outcome: 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'refused';
  /** Why the CLI was not started (`refused`). */
  refusal?: Refusal;
  exitCode: number | null;
  /** First Prisma error code seen in the output (`Error: P3018`, `Error: P1001: ...`). */
  prismaErrorCode?: string;
  /** Migrations that became applied during the run (by the ledger). */
  applied: string[];
  /** Migrations left failed by the run. */
  failed: string[];
  /** Status read after the run. */
  status: StatusReport;
  stdout: string;
  stderr: string;
  durationMs: number;
}

function appliedNames(s: StatusReport): Set<string> {
  return new Set(
    s.migrations.filter((m) => m.state === 'applied' || m.state === 'edited').map((m) => m.name),
  );
}

/** Runs the Prisma CLI and reports what changed in `_prisma_migrations`. */
export async function runPrismaDeploy(opts: PrismaRunOptions): Promise<PrismaRunResult> {
  const [command, ...args] = opts.command;
  if (!command)
    throw new DrawbridgeError('config', 'The prisma runner command is empty.', {
      hint: 'Set prisma.command, e.g. [npx, prisma, migrate, deploy].',
    });
  const { target } = opts;
  // Validates both and registers their passwords for redaction.
  parseDatabaseUrl(target.url);
  parseDatabaseUrl(target.executorUrl);
  const clock = opts.clock ?? systemClock;
  const statusOpts = { databaseUrl: target.url, migrationsDir: opts.migrationsDir, clock };
  const initial = await getStatus(statusOpts);
  const before = appliedNames(initial);
  const started = clock.now();
  if (opts.expected) {
    const folder = await readMigrationsFolder(opts.migrationsDir);
    const pending = folder.migrations.filter((m) => initial.toApply.includes(m.name));
    const differs = compareWithApproved(pending, opts.expected);
    if (differs) {
      return {
        outcome: 'refused',
        refusal: refusal(
          'PLAN_CHANGED',
          `The Prisma CLI was not started: what is pending is not what was approved. ${differs}`,
          'Request the deploy again so that the new plan can be reviewed and approved.',
        ),
        exitCode: null,
        applied: [],
        failed: [],
        status: initial,
        stdout: '',
        stderr: '',
        durationMs: 0,
      };
    }
  }
  const res = await target.executor.run(
    {
      command,
      args,
      // Both names carry the direct URL when one is configured (target.executorUrl is then the direct
      // one): a schema with `directUrl = env("DIRECT_URL")` finds it, and Prisma 7's config, whose one
      // datasource url is what Migrate uses, migrates on the direct connection too.
      env: { ...opts.env, DATABASE_URL: target.executorUrl, DIRECT_URL: target.executorUrl },
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
    (line) => opts.onOutput?.({ stream: line.stream, line: redact(line.line) }),
  );
  const durationMs = clock.now() - started;
  const status = await getStatus(statusOpts);
  const stdout = redact(res.stdout);
  const stderr = redact(res.stderr);
  const code = /\bError: (P\d{4})\b/.exec(`${stderr}\n${stdout}`)?.[1];
  const failed = status.migrations.filter((m) => m.state === 'failed').map((m) => m.name);
  const outcome: PrismaRunResult['outcome'] = res.cancelled
    ? 'cancelled'
    : res.timedOut
      ? 'timed_out'
      : res.exitCode === 0 && failed.length === 0
        ? 'succeeded'
        : 'failed';
  const result: PrismaRunResult = {
    outcome,
    exitCode: res.exitCode,
    applied: [...appliedNames(status)].filter((n) => !before.has(n)),
    failed,
    status,
    stdout,
    stderr,
    durationMs,
  };
  if (code) result.prismaErrorCode = code;
  return result;
}
