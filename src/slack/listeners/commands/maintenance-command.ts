/** `/migrate maintenance off <env>`: runs the environment's maintenance.off command (core decides who may). */
import type { RespondFn } from '@slack/bolt';
import { renderRefusal } from '../../renderers/refusal-message.js';
import type { ListenerContext } from '../context.js';

export async function maintenanceOffCommand(
  ctx: ListenerContext,
  environment: string,
  user: string,
  respond: RespondFn,
): Promise<string> {
  const result = await ctx.runs.turnEnvironmentMaintenanceOff(environment, user);
  if (result.kind === 'refusal') {
    await respond({ response_type: 'ephemeral', ...renderRefusal(result) });
    return result.code;
  }
  const runs = result.runs.length ? ` Recorded on run(s) ${result.runs.join(', ')}.` : '';
  await respond({
    response_type: 'ephemeral',
    text: `:white_check_mark: Maintenance mode of *${environment}* is off (\`${result.command.join(' ')}\` ran).${runs}`,
  });
  return 'maintenance_off';
}
