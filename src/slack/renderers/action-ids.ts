/** The action and view ids of run messages; the value of every run button is the run id. */
export const ACTIONS = {
  approve: 'run_approve',
  reject: 'run_reject',
  cancel: 'run_cancel',
  markRolledBack: 'run_mark_rolled_back',
  restore: 'run_restore',
  retry: 'run_retry',
  maintenanceOff: 'run_maintenance_off',
  stopWatching: 'run_stop_watching',
  cancelRehearsal: 'run_cancel_rehearsal',
  revertDown: 'run_revert_down',
} as const;

/** The restore confirmation modal. */
export const RESTORE_VIEW = {
  callbackId: 'run_restore_confirm',
  blockId: 'confirm',
  actionId: 'confirm_text',
} as const;

/** What the person must type to confirm a restore of `environment` (one phrase for Slack and the CLI). */
export { restorePhrase } from '../../core/index.js';

/** The Revert with down.sql confirmation modal. */
export const REVERT_VIEW = {
  callbackId: 'run_revert_down_confirm',
  blockId: 'confirm',
  actionId: 'confirm_text',
} as const;

/** What the person must type to confirm a revert with down.sql on `environment`. */
export function revertPhrase(environment: string): string {
  return `REVERT ${environment}`;
}

/** The button that offers to run a deploy in the next maintenance window; its value is a small JSON. */
export const DEPLOY_IN_WINDOW_ACTION = 'deploy_in_window';

/** The modal of `/migrate window`: one input block (and action) per field. */
export const WINDOW_VIEW = {
  callbackId: 'window_schedule',
  environment: 'environment',
  date: 'date',
  time: 'time',
  duration: 'duration',
  title: 'title',
} as const;

/** The durations the modal offers. */
export const WINDOW_DURATIONS = ['30m', '1h', '1h30m', '2h', '3h', '4h', '6h', '8h', '12h', '24h'] as const;
