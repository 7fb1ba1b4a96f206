/** The action and view ids of run messages; the value of every run button is the run id. */
export const ACTIONS = {
  approve: 'run_approve',
  reject: 'run_reject',
  cancel: 'run_cancel',
  markRolledBack: 'run_mark_rolled_back',
  restore: 'run_restore',
  retry: 'run_retry',
  maintenanceOff: 'run_maintenance_off',
} as const;

/** The restore confirmation modal. */
export const RESTORE_VIEW = {
  callbackId: 'run_restore_confirm',
  blockId: 'confirm',
  actionId: 'confirm_text',
} as const;

/** What the person must type to confirm a restore of `environment`. */
export function restorePhrase(environment: string): string {
  return `RESTORE ${environment}`;
}
