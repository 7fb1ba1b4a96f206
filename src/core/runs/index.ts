/** Runs: lifecycle, plans, approval policy, and the thin shells that apply them to the store. */
export * from './lifecycle.js';
export * from './plan.js';
export * from './approval-policy.js';
export * from './apply-run-event.js';
export * from './cast-vote.js';
export * from './replan-run.js';
export * from './recovery.js';
export * from './expire-overdue-runs.js';
export * from './authorize.js';
export * from './group-membership.js';
