/** Team notices (core/events/team-notice.ts) as the channel reads them. Pure. */
import type { TeamNotice, MaintenanceAfterStop } from '../../core/index.js';

function maintenanceSentence(m: MaintenanceAfterStop): string {
  switch (m.state) {
    case 'not_on':
      return 'Maintenance mode was not on.';
    case 'already_off':
      return 'Maintenance mode was already off (it goes off before the post-deploy commands and the health check).';
    case 'still_on':
      return ':warning: Maintenance mode is *still on* (maintenance.offOnFailure is false): turn it off once the database is sound.';
    case 'turned_off':
      return 'Maintenance mode was turned off again (maintenance.offOnFailure).';
    default:
      return `:warning: Turning maintenance mode off failed: ${m.error}. It is probably *still on*.`;
  }
}

/** The mrkdwn text of a notice. */
export function renderTeamNotice(n: TeamNotice): string {
  switch (n.kind) {
    case 'deploying':
      return `:construction: Deploying ${n.migrations.length} migration(s) to *${n.environment}* (run ${n.runId}, requested by <@${n.requestedBy}>): ${n.migrations.join(', ')}`;
    case 'deployed': {
      const warn = n.warnings ? ` (${n.warnings} warning(s), see the thread)` : '';
      return `:white_check_mark: *${n.environment}*: ${n.count} migration(s) applied and verified (run ${n.runId})${warn}.`;
    }
    case 'run_stopped': {
      const what =
        n.how === 'interrupted'
          ? `was interrupted at ${n.step} by a shutdown of Drawbridge`
          : n.how === 'cancelled'
            ? 'was cancelled'
            : `failed at ${n.step}`;
      return `:x: Deploy to *${n.environment}* (run ${n.runId}) ${what}: ${n.reason}\n${maintenanceSentence(n.maintenance)}`;
    }
    case 'row_count_dropped':
      return `:warning: *${n.environment}* run ${n.runId}: ${n.warning}. Check that this was intended.`;
    case 'restarted_during_run': {
      const during = n.during.length ? ` during ${n.during.join(', ')}` : '';
      return `:warning: Drawbridge restarted while run ${n.runId} was deploying to *${n.environment}*${during}. ${n.ledger}`;
    }
    case 'restarted_during_restore':
      return `:warning: Drawbridge restarted while restoring *${n.environment}* from the backup of run ${n.runId}; the restore was interrupted. ${n.finding}`;
    case 'marked_rolled_back':
      return `:leftwards_arrow_with_hook: *${n.environment}* run ${n.runId}: ${n.migrations.join(', ')} marked rolled back by <@${n.actor}>. A new deploy will apply it again once fixed.`;
    case 'restoring':
      return `:rewind: <@${n.actor}> is restoring *${n.environment}* from the backup of run ${n.runId} (${n.fileName}).`;
    case 'restored':
      return n.differences === undefined
        ? `:white_check_mark: *${n.environment}* restored from the backup of run ${n.runId}; schema and row counts match the snapshot.`
        : `:warning: *${n.environment}* restored from the backup of run ${n.runId}, but it differs from the snapshot: ${n.differences}`;
    default:
      return `:x: Restoring *${n.environment}* (run ${n.runId}) failed: ${n.error}`;
  }
}
