/**
 * What the team is told, as data: the Slack layer renders each notice (slack/renderers/team-notice.ts);
 * other front ends may render them their own way. User references are Slack user ids.
 */

/** How maintenance mode stood when a run stopped. */
export type MaintenanceAfterStop =
  | { readonly state: 'not_on' }
  /** The run had turned it off before it stopped (a failure in post-deploy or the health check). */
  | { readonly state: 'already_off' }
  | { readonly state: 'still_on' }
  | { readonly state: 'turned_off' }
  | { readonly state: 'off_failed'; readonly error: string };

export type TeamNotice =
  | {
      readonly kind: 'deploying';
      readonly environment: string;
      readonly runId: string;
      readonly requestedBy: string;
      readonly migrations: readonly string[];
    }
  | {
      readonly kind: 'deployed';
      readonly environment: string;
      readonly runId: string;
      readonly count: number;
      readonly warnings: number;
    }
  | {
      readonly kind: 'run_stopped';
      readonly environment: string;
      readonly runId: string;
      readonly how: 'failed' | 'cancelled' | 'interrupted';
      /** Title of the step where it stopped, lower-case. */
      readonly step: string;
      readonly reason: string;
      readonly maintenance: MaintenanceAfterStop;
    }
  | {
      readonly kind: 'row_count_dropped';
      readonly environment: string;
      readonly runId: string;
      readonly warning: string;
    }
  | {
      readonly kind: 'restarted_during_run';
      readonly environment: string;
      readonly runId: string;
      readonly during: readonly string[];
      readonly ledger: string;
    }
  | {
      readonly kind: 'restarted_during_restore';
      readonly environment: string;
      readonly runId: string;
      readonly finding: string;
    }
  | {
      readonly kind: 'marked_rolled_back';
      readonly environment: string;
      readonly runId: string;
      readonly migrations: readonly string[];
      readonly actor: string;
    }
  | {
      readonly kind: 'restoring';
      readonly environment: string;
      readonly runId: string;
      readonly actor: string;
      readonly fileName: string;
    }
  | {
      readonly kind: 'restored';
      readonly environment: string;
      readonly runId: string;
      /** Undefined when the schema and row counts match the snapshot. */
      readonly differences?: string;
    }
  | {
      readonly kind: 'restore_failed';
      readonly environment: string;
      readonly runId: string;
      readonly error: string;
    };
