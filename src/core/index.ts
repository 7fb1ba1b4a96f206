/**
 * Core as the front ends (slack/, cli/) see it: the door they use (engine-index.ts is the narrow one
 * the CLI's engine commands use, re-exported here). Everything else in core is core's own business;
 * test/architecture.test.ts fails when a front end reaches past these two files.
 */
export * from './engine-index.js';
export { reviewEnvironment, reviewFiles, type EnvironmentReview } from './review-service.js';
export type { DeployRequest, RunService } from './pipeline/run-service.js';
export { WAYS_BACK_STATES } from './pipeline/run-view.js';
export type { BackupList, BackupListing } from './pipeline/backup-list.js';
export { describeUndone } from './pipeline/later-runs.js';
export { STEP_TITLES } from './pipeline/types.js';
export type {
  PipelineEvent,
  PipelineStep,
  PlanReport,
  PreflightCheck,
  RunView,
  ThreadDetail,
} from './pipeline/types.js';
export { describeApprovers } from './runs/approval-policy.js';
export { restorePhrase } from './pipeline/ways-back.js';
export type { Restored } from './pipeline/ways-back.js';
export { shortHash } from './runs/plan.js';
export { checkEnvironmentDrift } from './shadow/drift.js';
export type { DriftCheck } from './shadow/drift.js';
export type { DriftItem } from './shadow/schema-diff.js';
export type { MaintenanceAfterStop, TeamNotice } from './events/team-notice.js';
export type { Deliverer, DeliveryResult, OutboxWorker } from './outbox/outbox-worker.js';
export type { SlackWebClient } from './outbox/slack-client.js';
export { findPostedByKey, postMessageOnce } from './outbox/slack-delivery.js';
export type { PostedResult } from './outbox/slack-delivery.js';
export { classifySlackError } from './outbox/slack-errors.js';
export type { WindowService } from './windows/window-service.js';
export type {
  MaintenanceWindow,
  ScheduleWindowInput,
  WindowCancelled,
  WindowListing,
  WindowReminderData,
  WindowScheduled,
} from './windows/types.js';
export { formatHours, formatSpan, formatUtc, slackDate } from './windows/time-input.js';
export type { Alert as WatchAlert, ChartInput, WatchBrief, WatchSummary } from './monitor/types.js';
export type { WatchSoFar } from './monitor/watch-service.js';
export type { ChartUpload } from './monitor/chart-delivery.js';
export type { BotMetrics } from './metrics/bot-metrics.js';
export type { HealthReport } from './metrics/health.js';
export { handleOpsRequest } from './metrics/ops-endpoints.js';
export type { OpsEndpoints } from './metrics/ops-endpoints.js';
export { describeRehearsalResult, formatDuration, strongestLock } from './rehearsal/describe-rehearsal.js';
export type { MigrationRehearsal, RehearsalView } from './rehearsal/types.js';
export type { RevertDrop, RevertPreview } from './pipeline/revert-down.js';
