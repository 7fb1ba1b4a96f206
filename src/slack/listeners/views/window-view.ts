/**
 * The submission of the `/migrate window` modal: the fields are validated, the window is scheduled
 * before the ack (so a refusal shows under the field it is about and the modal stays open), and a
 * scheduled window is announced in the team channel.
 */
import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import * as z from 'zod';
import { describeError, type Refusal } from '../../../base/errors.js';
import type { WindowScheduled } from '../../../core/index.js';
import { WINDOW_DURATIONS, WINDOW_VIEW } from '../../renderers/action-ids.js';
import { renderWindowScheduled, type ReadIn } from '../../renderers/window-message.js';
import type { ListenerContext } from '../context.js';
import { userTimeZone } from '../user-time-zone.js';

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
type BlockId = (typeof WINDOW_VIEW)[Exclude<keyof typeof WINDOW_VIEW, 'callbackId'>];

/** What the modal submits, as read from `view.state.values`. */
const submission = z.object({
  [WINDOW_VIEW.environment]: z.string({ error: 'Choose an environment.' }).min(1, 'Choose an environment.'),
  [WINDOW_VIEW.date]: z.string({ error: 'Pick a date.' }).regex(/^\d{4}-\d{2}-\d{2}$/, 'Pick a date.'),
  [WINDOW_VIEW.time]: z.string({ error: 'Pick a start time.' }).regex(/^\d{2}:\d{2}$/, 'Pick a start time.'),
  [WINDOW_VIEW.duration]: z.enum(WINDOW_DURATIONS, { error: 'Choose a duration.' }),
  [WINDOW_VIEW.title]: z
    .string()
    .max(100, 'The title is longer than 100 characters.')
    .nullish()
    .transform((t) => t?.trim() ?? ''),
});
type Submission = z.infer<typeof submission>;

const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/);

/** The field a refusal is about, so its error shows under that field. */
const FIELD_OF: Record<string, BlockId> = {
  WINDOW_START_INVALID: WINDOW_VIEW.time,
  WINDOW_ENDED: WINDOW_VIEW.date,
  WINDOW_IN_FREEZE: WINDOW_VIEW.date,
  WINDOW_OVERLAPS: WINDOW_VIEW.date,
  WINDOW_DURATION_INVALID: WINDOW_VIEW.duration,
  WINDOW_TOO_LONG: WINDOW_VIEW.duration,
  WINDOW_EMPTY: WINDOW_VIEW.duration,
};

/** Slack dates do not render under a field: their UTC fallback is shown instead. */
function plainRefusal(r: Refusal): string {
  const text = `${r.message}${r.hint ? ` ${r.hint}` : ''}`;
  return text.replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1').slice(0, 2000);
}

function readState(view: ViewArgs['view']): Record<string, unknown> {
  const values = view.state.values;
  const field = (id: BlockId) => values[id]?.[id];
  return {
    [WINDOW_VIEW.environment]: field(WINDOW_VIEW.environment)?.selected_option?.value,
    [WINDOW_VIEW.date]: field(WINDOW_VIEW.date)?.selected_date,
    [WINDOW_VIEW.time]: field(WINDOW_VIEW.time)?.selected_time,
    [WINDOW_VIEW.duration]: field(WINDOW_VIEW.duration)?.selected_option?.value,
    [WINDOW_VIEW.title]: field(WINDOW_VIEW.title)?.value,
  };
}

export function registerWindowView(app: App, ctx: ListenerContext): void {
  app.view<ViewSubmitAction>(WINDOW_VIEW.callbackId, async ({ ack, view, body, client }) => {
    const parsed = submission.safeParse(readState(view));
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const issue of parsed.error.issues) {
        const block = String(issue.path[0] ?? WINDOW_VIEW.environment);
        errors[block] ??= issue.message;
      }
      await ack({ response_action: 'errors', errors });
      return;
    }
    const user = body.user.id;
    const form: Submission = parsed.data;
    const tz = await userTimeZone(client, user);
    let result: WindowScheduled | Refusal;
    try {
      result = await ctx.windows.schedule({
        environment: form.environment,
        start: `${form.date} ${form.time}`,
        duration: form.duration,
        ...(form.title ? { title: form.title } : {}),
        actor: user,
        timeZone: tz.timeZone,
      });
    } catch (err) {
      // A fault, not a refusal: the form stays open with it, and the log has the details.
      ctx.deps.logger.error({ user, err: describeError(err) }, 'scheduling a window failed');
      await ack({
        response_action: 'errors',
        errors: { [WINDOW_VIEW.environment]: `Scheduling failed: ${describeError(err)}`.slice(0, 2000) },
      });
      return;
    }
    if (result.kind === 'refusal') {
      const block = FIELD_OF[result.code] ?? WINDOW_VIEW.environment;
      await ack({ response_action: 'errors', errors: { [block]: plainRefusal(result) } });
      return;
    }
    await ack();
    const origin = channelId.safeParse(view.private_metadata);
    ctx.inflight.track(
      announce(ctx, client, result, user, tz, origin.success ? origin.data : undefined),
      (err) => {
        ctx.deps.logger.error(
          { windowId: result.window.id, err: describeError(err) },
          'window announcement failed',
        );
      },
    );
  });
}

/** The team channel sees the window; the requester is told in their channel how the time was read. */
async function announce(
  ctx: ListenerContext,
  client: ViewArgs['client'],
  scheduled: WindowScheduled,
  user: string,
  tz: ReadIn,
  origin: string | undefined,
): Promise<void> {
  await client.chat.postMessage({
    channel: ctx.deps.config.file.slack.channel,
    ...renderWindowScheduled(scheduled),
  });
  if (!origin) return;
  // Best effort: the bot may not be in the channel the command was typed in.
  await client.chat
    .postEphemeral({ channel: origin, user, ...renderWindowScheduled(scheduled, tz) })
    .catch((err: unknown) => {
      ctx.deps.logger.warn(
        { err: describeError(err) },
        'could not tell the requester how the window was read',
      );
    });
}
