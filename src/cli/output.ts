/** What CLI commands return: text for people or JSON for scripts, and the exit code. */
import type { Refusal } from '../base/errors.js';
import type { PipelineEvent } from '../core/index.js';
import { ProgressLine } from './progress-line.js';

export interface CliOutcome {
  exitCode: number;
  text: string;
  json: unknown;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: progress lines are shown (progress-line.ts); absent or false: they are not. */
  readonly errIsTTY?: boolean;
}

/** JSON with Dates as ISO strings (the default), indented. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/**
 * A refusal as the CLI shows it: its message and hint, without Slack's backquotes. Exit 2 when it is
 * about what was asked (unknown environment, wrong phrase), 1 when the operation said no.
 */
export function refused(r: Refusal, exitCode = 2): CliOutcome {
  const text = `${r.message}${r.hint ? `\n${r.hint}` : ''}`.replace(/`/g, '');
  return { exitCode, text, json: r };
}

/** `3 h 5 min`, `2 d 4 h`, `40 s`: how long ago, for people. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 90) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** `2026-12-01 14:05 UTC` */
export function formatInstant(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

/**
 * What a run's events look like in a terminal (stderr, so that `--json` stays parseable): progress
 * lines (at most one a second, only when stderr is a terminal) and thread details. Slack is not told
 * by the CLI; the audit log and the store are.
 */
export function terminalObserver(io: CliIo): (event: PipelineEvent) => void {
  const line = new ProgressLine(io);
  return (event) => {
    if (event.kind === 'progress') line.show(event.text);
    else if (event.kind === 'detail') io.err(`${event.detail.title}: ${event.detail.text}`);
  };
}
