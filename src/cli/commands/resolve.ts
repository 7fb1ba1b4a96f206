/** `drawbridge resolve --env <name> --applied <migration> | --rolled-back <migration>` */
import { resolveEnvironment, type CoreDeps } from '../../core/engine-index.js';
import type { CliOutcome } from '../output.js';

export async function resolveCommand(
  deps: CoreDeps,
  environment: string,
  applied: string | undefined,
  rolledBack: string | undefined,
): Promise<CliOutcome> {
  if ((applied ? 1 : 0) + (rolledBack ? 1 : 0) !== 1) {
    return {
      exitCode: 2,
      text: 'Pass either --applied <migration> or --rolled-back <migration>, not both.',
      json: { error: 'usage' },
    };
  }
  const res = await resolveEnvironment(
    deps,
    environment,
    applied ? 'applied' : 'rolled-back',
    (applied ?? rolledBack) as string,
  );
  if ('kind' in res && res.kind === 'refusal')
    return { exitCode: 2, text: res.message.replace(/`/g, ''), json: res };
  if (!('outcome' in res)) return { exitCode: 1, text: 'unexpected result', json: res };
  const hint = res.refusal?.hint ? `\n${res.refusal.hint}` : '';
  const code = res.refusal ? `${res.refusal.code}: ` : '';
  return { exitCode: res.outcome === 'resolved' ? 0 : 1, text: `${code}${res.message}${hint}`, json: res };
}
