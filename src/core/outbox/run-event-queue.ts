/**
 * Events of a process that has no Slack client (the `drawbridge` CLI) queued in the shared outbox in
 * the same shapes RunMessenger (slack/run-messenger.ts) queues them: the run's message updated
 * (coalesced to the newest), details in its thread, team notices. The bot's outbox worker delivers
 * them, so what a person does from a terminal reaches the run's Slack thread too, later if Slack is
 * down, never lost. Progress lines are left out (the terminal shows them).
 */
import { randomUUID } from 'node:crypto';
import type { OutboxStore } from '../../store/outbox-store.js';
import type { PipelineEvent } from '../pipeline/types.js';

/** The outbox lane of a run's messages (RunMessenger's). */
export function runLane(runId: string): string {
  return `slack:run:${runId}`;
}

/** Queues what `event` means for the run's Slack messages. */
export function queueRunEvent(outbox: OutboxStore, event: PipelineEvent): void {
  if (event.kind === 'progress') return;
  const runId = event.runId;
  const lane = runLane(runId);
  if (event.kind === 'detail') {
    outbox.enqueue({
      destination: lane,
      kind: 'slack.thread',
      payload: { runId, detail: event.detail },
      dedupeKey: `slack.thread:${runId}:${randomUUID()}`,
    });
    return;
  }
  if (event.kind === 'notice') {
    // Rendered when it is delivered (RunMessenger renders a notice given as data).
    outbox.enqueue({
      destination: lane,
      kind: 'slack.team',
      payload: { runId, notice: event.notice },
      dedupeKey: `slack.team:${runId}:${randomUUID()}`,
    });
    return;
  }
  outbox.enqueue({
    destination: lane,
    kind: 'slack.update',
    payload: { runId },
    dedupeKey: `slack.update:${runId}:${randomUUID()}`,
    coalesceKey: `slack.update:${runId}`,
  });
}
