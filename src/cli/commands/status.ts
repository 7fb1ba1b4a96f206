/** `drawbridge status --env <name> [--json]` */
import { environmentStatus, type CoreDeps } from '../../core/engine-index.js';
import type { MigrationState } from '../../migrations/status.js';
import type { CliOutcome } from '../output.js';

const LABEL: Record<MigrationState, string> = {
  applied: 'applied',
  pending: 'pending',
  failed: 'FAILED',
  rolled_back: 'rolled back (deploy re-applies it)',
  edited: 'EDITED after apply',
  missing_from_folder: 'in the database, missing from the folder',
};

export async function statusCommand(deps: CoreDeps, environment: string): Promise<CliOutcome> {
  const result = await environmentStatus(deps, environment);
  if (result.kind === 'refusal') {
    return { exitCode: 2, text: `${result.message} ${result.hint ?? ''}`.replace(/`/g, ''), json: result };
  }
  if (result.kind === 'failure') {
    return {
      exitCode: 1,
      text: `Cannot read the status of ${environment} at ${result.target}: ${result.message}`,
      json: result,
    };
  }
  const r = result.report;
  const lines = [
    `Environment ${environment} — ${result.target}${r.server ? ` (PostgreSQL ${r.server.version})` : ''}` +
      (r.tls ? ` · ${r.tls}` : ''),
  ];
  lines.push(`${r.migrations.length} migration(s); migrations folder ${result.migrationsDir}`);
  for (const m of r.migrations)
    lines.push(`  ${m.name}  ${LABEL[m.state]}${m.problem ? ` — ${m.problem}` : ''}`);
  for (const b of r.blocking) lines.push(`BLOCKING ${b.code}: ${b.message}\n  way out: ${b.hint}`);
  for (const w of r.warnings) lines.push(`warning ${w.code}: ${w.message}\n  ${w.hint}`);
  if (r.lockHolder) {
    const h = r.lockHolder;
    lines.push(
      `lock 72707369 held by pid ${h.pid} (${h.applicationName}) for ${Math.round(h.durationMs / 1000)} s: ${h.query}`,
    );
  }
  lines.push(
    r.blocking.length > 0
      ? 'Deploy is blocked.'
      : r.toApply.length > 0
        ? `${r.toApply.length} migration(s) to apply.`
        : 'Database schema is up to date!',
  );
  const exitCode = r.blocking.length > 0 || r.toApply.length > 0 ? 1 : 0;
  return { exitCode, text: lines.join('\n'), json: { environment, target: result.target, ...r } };
}
