/** Block Kit for `/migrate status <env>`: pure data → message. */
import type { EnvironmentStatus, StatusFailure } from '../../core/index.js';
import type { MigrationState, MigrationStatus } from '../../migrations/status.js';
import {
  context,
  divider,
  esc,
  finishMessage,
  header,
  section,
  sectionsFromLines,
  type SlackMessage,
} from './blocks.js';

const ICON: Record<MigrationState, string> = {
  applied: ':white_check_mark:',
  pending: ':hourglass_flowing_sand:',
  failed: ':x:',
  rolled_back: ':leftwards_arrow_with_hook:',
  edited: ':pencil2:',
  missing_from_folder: ':grey_question:',
};

const LABEL: Record<MigrationState, string> = {
  applied: 'applied',
  pending: 'pending',
  failed: 'failed',
  rolled_back: 'rolled back (will be re-applied)',
  edited: 'edited after apply',
  missing_from_folder: 'in the database but missing from the folder',
};

/** Applied migrations shown individually before the older ones are summarised. */
const RECENT_APPLIED = 5;

function line(m: MigrationStatus): string {
  const when = m.finishedAt ?? m.startedAt;
  const at = when ? ` · ${when.toISOString().replace('T', ' ').slice(0, 16)} UTC` : '';
  const problem = m.problem ? ` — ${esc(m.problem)}` : '';
  const sum =
    m.state === 'edited' && m.checksum && m.dbChecksum
      ? ` (file ${m.checksum.slice(0, 8)}…, applied ${m.dbChecksum.slice(0, 8)}…)`
      : '';
  return `${ICON[m.state]} \`${esc(m.name)}\` — ${LABEL[m.state]}${at}${sum}${problem}`;
}

function migrationLines(migrations: MigrationStatus[]): string[] {
  const applied = migrations.filter((m) => m.state === 'applied');
  const hiddenApplied = Math.max(0, applied.length - RECENT_APPLIED);
  const shownApplied = new Set(applied.slice(hiddenApplied));
  const lines: string[] = [];
  if (hiddenApplied > 0) lines.push(`_${hiddenApplied} earlier applied migration(s) not listed_`);
  for (const m of migrations) {
    if (m.state !== 'applied' || shownApplied.has(m)) lines.push(line(m));
  }
  return lines;
}

export function renderStatusMessage(s: EnvironmentStatus): SlackMessage {
  const r = s.report;
  const c = r.counts;
  const summary = (Object.keys(LABEL) as MigrationState[])
    .filter((k) => c[k] > 0)
    .map((k) => `${ICON[k]} ${c[k]} ${LABEL[k]}`)
    .join('  ·  ');
  const verdict =
    r.blocking.length > 0
      ? ':no_entry: *Deploy is blocked*'
      : r.upToDate && r.toApply.length === 0
        ? ':large_green_circle: *Database schema is up to date*'
        : `:large_yellow_circle: *${r.toApply.length} migration(s) to apply*`;
  const blocks = [
    header(`Migration status · ${s.environment}`),
    section(`${verdict}\n${summary || '_No migrations in the folder or the database._'}`),
  ];
  for (const b of r.blocking) {
    blocks.push(section(`:no_entry: *${esc(b.code)}* ${esc(b.message)}\n_Way out:_ ${esc(b.hint)}`));
  }
  for (const w of r.warnings) {
    blocks.push(section(`:warning: *${esc(w.code)}* ${esc(w.message)}\n${esc(w.hint)}`));
  }
  if (r.lockHolder) {
    const h = r.lockHolder;
    blocks.push(
      section(
        `:lock: The migration lock is held by pid ${h.pid} (\`${esc(h.applicationName || 'no application_name')}\`` +
          `${h.clientAddr ? ` from ${esc(h.clientAddr)}` : ''}) for ${Math.round(h.durationMs / 1000)} s, ${esc(h.state)}: \`${esc(h.query.slice(0, 200))}\``,
      ),
    );
  }
  blocks.push(divider(), ...sectionsFromLines(migrationLines(r.migrations)));
  blocks.push(
    context(
      `Database \`${esc(s.target)}\`${r.server ? ` · PostgreSQL ${esc(r.server.version)}` : ''}` +
        (r.tls ? ` · ${esc(r.tls)}` : ''),
      r.hasLedger ? '`_prisma_migrations` present' : '`_prisma_migrations` not created yet',
    ),
  );
  const text = `Migration status for ${s.environment}: ${summary.replace(/:[a-z_]+: /g, '') || 'no migrations'}`;
  return finishMessage(text, blocks);
}

export function renderStatusFailure(f: StatusFailure): SlackMessage {
  const hint = f.hint ? `\n_${esc(f.hint)}_` : '';
  return finishMessage(`Could not read the status of ${f.environment}: ${f.message}`, [
    section(
      `:warning: Could not read the migration status of *${esc(f.environment)}* at \`${esc(f.target)}\`.\n\`\`\`${esc(f.message)}\`\`\`${hint}`,
    ),
  ]);
}
