/**
 * One rehearsal, top to bottom: open the environment's target and its verified shadow database, put a
 * copy of the target in the shadow (copy-into-shadow.ts), then apply the plan's migrations there with
 * the production engine and settings (the native `deploy` with the environment's lock and statement
 * timeouts, retries and watchdog, and the plan's exact names and checksums), one migration per deploy
 * so that each is timed, its locks sampled and the schema read between them; finally the down.sql
 * files, in reverse order, each compared with the schema before its migration. Production is only
 * read (dumped); every write goes to the shadow.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError } from '../../base/errors.js';
import { REHEARSAL_DEFAULTS } from '../../config/rehearsal-schema.js';
import { closeTarget, openEnvironmentTarget, type EnvironmentTarget } from '../environment-target.js';
import type { SchemaSnapshot } from '../shadow/schema-diff.js';
import { openShadow, type ShadowDatabase } from '../shadow/shadow-database.js';
import { applyOne, catchUp, type ApplyState } from './apply-on-shadow.js';
import { checkDowns } from './check-downs.js';
import { copyIntoShadow } from './copy-into-shadow.js';
import { readDownSql, readSchemaAt } from './down-scripts.js';
import { LockSampler } from './lock-sampler.js';
import type { RehearseInput } from './rehearse-input.js';
import type { MigrationRehearsal, RehearsalResult, RehearsalSource, RehearsalState } from './types.js';

export type { RehearseInput };

export interface Rehearsed {
  readonly state: Exclude<RehearsalState, 'running'>;
  readonly result: RehearsalResult;
}

async function applyPlan(st: ApplyState): Promise<MigrationRehearsal[]> {
  const { input } = st;
  const downs = new Map<string, string>();
  for (const m of input.migrations) {
    const down = await readDownSql(st.target.config.migrations, m.name);
    if (down !== undefined) downs.set(m.name, down);
  }
  const before = new Map<string, SchemaSnapshot>();
  const out: MigrationRehearsal[] = [];
  for (const [i, m] of input.migrations.entries()) {
    if (input.signal.aborted) break;
    if (downs.size > 0) before.set(m.name, await readSchemaAt(st.shadow.url));
    input.phase(`Applying ${i + 1} of ${input.migrations.length}: ${m.name}`);
    const r = await applyOne(st, m);
    out.push(r);
    input.onMigration(r);
    if (r.outcome !== 'applied') break;
  }
  for (const m of input.migrations.slice(out.length))
    out.push({ name: m.name, outcome: 'not_run', rows: [], locks: [] });
  const applied = out.filter((m) => m.outcome === 'applied');
  if (downs.size > 0 && !input.signal.aborted && applied.length === out.length) {
    await checkDowns(st, applied, before, downs);
    return applied;
  }
  return out;
}

/** Why the rehearsal was cancelled, as the canceller said it. */
function cancelReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : typeof r === 'string' ? r : 'cancelled';
}

/** Carries out one rehearsal. Never throws: a fault is a result in state `error`. */
export async function rehearse(input: RehearseInput): Promise<Rehearsed> {
  const { deps } = input;
  const started = deps.clock.now();
  const config = deps.config.environment(input.environment)?.rehearsal ?? REHEARSAL_DEFAULTS;
  const stop = (state: Rehearsed['state'], result: Omit<RehearsalResult, 'totalMs'>): Rehearsed => ({
    state,
    result: { ...result, totalMs: deps.clock.now() - started },
  });
  let target: EnvironmentTarget;
  try {
    const opened = await openEnvironmentTarget(deps, input.environment);
    if ('kind' in opened) return stop('error', { migrations: [], error: opened.message });
    target = opened;
  } catch (err) {
    return stop('error', { migrations: [], error: describeError(err) });
  }
  let shadow: ShadowDatabase | undefined;
  let folder: string | undefined;
  let sampler: LockSampler | undefined;
  let source: RehearsalSource | undefined;
  try {
    const opened = await openShadow(deps, input.environment, { target });
    if ('kind' in opened) return stop('error', { migrations: [], error: opened.message });
    shadow = opened;
    source = await copyIntoShadow({
      deps,
      runs: input.runs,
      target,
      shadow,
      config,
      rehearsalId: input.rehearsalId,
      signal: input.signal,
      phase: input.phase,
    });
    folder = await mkdtemp(join(tmpdir(), 'drawbridge-rehearsal-'));
    const appName = `drawbridge rehearsal ${input.environment}`;
    sampler = await LockSampler.start(shadow.url, appName);
    const st = { input, target, shadow, folder, sampler, appName };
    if (source.kind === 'backup') {
      const caughtUp = await catchUp(st);
      if (caughtUp.length > 0) source = { ...source, caughtUp };
    }
    const migrations = await applyPlan(st);
    const applyMs = migrations.reduce(
      (sum, m) => sum + (m.outcome === 'applied' ? (m.durationMs ?? 0) : 0),
      0,
    );
    const base = { shadow: shadow.display, source, migrations, applyMs };
    if (input.signal.aborted) return stop('cancelled', { ...base, error: cancelReason(input.signal) });
    return stop(migrations.every((m) => m.outcome === 'applied') ? 'succeeded' : 'failed', base);
  } catch (err) {
    const base = {
      ...(shadow ? { shadow: shadow.display } : {}),
      ...(source ? { source } : {}),
      migrations: [],
    };
    if (input.signal.aborted) return stop('cancelled', { ...base, error: cancelReason(input.signal) });
    return stop('error', { ...base, error: describeError(err) });
  } finally {
    await sampler?.stop().catch(() => undefined);
    if (folder) await rm(folder, { recursive: true, force: true }).catch(() => undefined);
    await shadow?.close().catch(() => undefined);
    await closeTarget(deps, target);
  }
}
