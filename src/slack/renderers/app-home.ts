/**
 * The Home tab: per environment its migration status in one line, its next maintenance window, the
 * active run with its step, the last runs, and Plan / Deploy buttons that start the same flows as
 * `/migrate plan` and `/migrate deploy`. Pure: data → a `home` view.
 */
import {
  STEP_TITLES,
  slackDate,
  type EnvironmentStatus,
  type MaintenanceWindow,
  type RunView,
} from '../../core/index.js';
import { isTerminalRunState } from '../../store/run-types.js';
import { context, divider, esc, finishMessage, header, section, type Block } from './blocks.js';

/** The Home buttons; each button's value is the environment name. */
export const HOME_ACTIONS = { plan: 'home_plan', deploy: 'home_deploy' } as const;

/** What the Home shows of one environment. */
export interface HomeEnvironment {
  readonly name: string;
  /** The status as read, or why it could not be read (timeout, unreachable database). */
  readonly status: EnvironmentStatus | { readonly kind: 'unreachable'; readonly message: string };
  /** The next maintenance window that has not ended (open now or the next to open). */
  readonly nextWindow?: MaintenanceWindow;
  /** The environment's latest runs, newest first. */
  readonly runs: readonly RunView[];
}

/** A `home` view for `views.publish`. */
export interface HomeView {
  readonly type: 'home';
  readonly blocks: Block[];
}

/** How many finished runs each environment lists. */
const LAST_RUNS = 3;

/** The status in one line. */
export function statusLine(status: HomeEnvironment['status']): string {
  if (status.kind === 'unreachable') return `:grey_question: Status unreachable: ${esc(status.message)}`;
  const r = status.report;
  if (r.blocking.length > 0)
    return `:no_entry: Blocked: ${esc(r.blocking.map((b) => b.code).join(', '))} (\`/migrate status ${status.environment}\`)`;
  if (r.toApply.length > 0) return `:large_yellow_circle: ${r.toApply.length} migration(s) to apply`;
  return `:large_green_circle: Up to date (${r.counts.applied} applied)`;
}

function windowLine(w: MaintenanceWindow | undefined, now: number): string {
  if (!w) return ':calendar: No maintenance window scheduled';
  const open = w.startsAt <= now;
  const when = open
    ? `open now, until ${slackDate(w.endsAt)}`
    : `${slackDate(w.startsAt)} – ${slackDate(w.endsAt)}`;
  return `:calendar: Next window: *${esc(w.title)}*, ${when}`;
}

function activeLine(v: RunView | undefined): string | undefined {
  if (!v) return undefined;
  const step = v.steps.find((s) => s.state === 'running');
  const title = step ? (STEP_TITLES as Record<string, string | undefined>)[step.name] : undefined;
  const stepText = step ? ` · step: ${title ?? step.name}` : '';
  const progress = v.progress ? ` (${esc(v.progress)})` : '';
  return `:arrow_forward: Run *${v.run.id}* is *${v.run.state.replace(/_/g, ' ')}*${stepText}${progress}, requested by <@${v.run.requestedBy}>`;
}

function runLine(v: RunView): string {
  const r = v.run;
  const at = new Date(r.createdAt).toISOString().replace('T', ' ').slice(0, 16);
  return `\`${r.id}\` ${at} UTC · ${r.state.replace(/_/g, ' ')} · ${r.plan.migrations.length} migration(s) · <@${r.requestedBy}>`;
}

function button(text: string, actionId: string, value: string, style?: 'primary'): Record<string, unknown> {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text, emoji: true },
    value,
    ...(style ? { style } : {}),
  };
}

function environmentBlocks(e: HomeEnvironment, now: number): Block[] {
  const active = e.runs.find((v) => !isTerminalRunState(v.run.state));
  const finished = e.runs.filter((v) => v !== active).slice(0, LAST_RUNS);
  const lines = [statusLine(e.status), windowLine(e.nextWindow, now)];
  const activeText = activeLine(active);
  if (activeText) lines.push(activeText);
  const blocks: Block[] = [section(`*${esc(e.name)}*\n${lines.join('\n')}`)];
  blocks.push(
    context(finished.length ? `Last runs: ${finished.map(runLine).join('\n')}` : 'No finished runs yet.'),
  );
  blocks.push({
    type: 'actions',
    block_id: `home:${e.name}`,
    elements: [
      button('Plan', HOME_ACTIONS.plan, e.name),
      button('Deploy', HOME_ACTIONS.deploy, e.name, 'primary'),
    ],
  });
  return blocks;
}

/** The Home view of every environment, as of `now`. */
export function renderAppHome(environments: readonly HomeEnvironment[], now: number): HomeView {
  const blocks: Block[] = [header('Drawbridge · migrations')];
  environments.forEach((e, i) => {
    if (i > 0) blocks.push(divider());
    blocks.push(...environmentBlocks(e, now));
  });
  if (environments.length === 0) blocks.push(context('No environments are configured.'));
  blocks.push(
    context(
      `Updated ${slackDate(now)}. Plan answers only you; Deploy posts the run for approval in the team channel.`,
    ),
  );
  return { type: 'home', blocks: finishMessage('Drawbridge', blocks).blocks };
}
