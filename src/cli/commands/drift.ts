/**
 * `drawbridge drift --env <name> [--json]`: replays the applied migrations into the environment's
 * shadow database and lists how the live schema differs. Exit 0 no drift, 1 drift (or the check was
 * refused, e.g. a shadow that is not verifiably Drawbridge's), 2 bad usage (an unknown environment,
 * one without a shadow database).
 */
import { checkEnvironmentDrift, type CoreDeps } from '../../core/index.js';
import type { CliOutcome } from '../output.js';

const USAGE_REFUSALS = new Set(['UNKNOWN_ENVIRONMENT', 'NO_SHADOW_DATABASE']);

export async function driftCommand(deps: CoreDeps, environment: string): Promise<CliOutcome> {
  const result = await checkEnvironmentDrift(deps, environment);
  if ('kind' in result) {
    const text = `${result.message}${result.hint ? `\n${result.hint}` : ''}`.replace(/`/g, '');
    return { exitCode: USAGE_REFUSALS.has(result.code) ? 2 : 1, text, json: result };
  }
  const replayed = `${result.replayed.length} applied migration(s) replayed on the shadow database ${result.shadow}`;
  const n = result.items.length;
  const lines =
    n === 0
      ? [`No drift: the live schema of ${environment} is what its applied migrations make (${replayed}).`]
      : [
          `Schema drift in ${environment}: ${n} difference(s) (${replayed}):`,
          ...result.items.map((i) => `  ${i.message}`),
        ];
  return {
    exitCode: n === 0 ? 0 : 1,
    text: lines.join('\n'),
    json: { environment, drift: n > 0, ...result },
  };
}
