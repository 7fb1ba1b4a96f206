/**
 * The down.sql check of a rehearsal: after the plan, the down.sql files newest first, each compared
 * with the schema read before its migration (the drift check's reader and comparison).
 */
import { describeError } from '../../base/errors.js';
import type { SchemaSnapshot } from '../shadow/schema-diff.js';
import type { ApplyState } from './apply-on-shadow.js';
import { readSchemaAt, runDownScript, schemaDifferences } from './down-scripts.js';
import type { DownCheck, MigrationRehearsal } from './types.js';

/**
 * The down.sql files in reverse order, from the end of the rehearsal: each must bring the schema back
 * to the one read before its migration. A migration without one, or a down.sql that does not restore
 * its schema, ends the walk (the ones before it cannot be reached the way Revert would reach them).
 */
export async function checkDowns(
  st: ApplyState,
  applied: MigrationRehearsal[],
  before: Map<string, SchemaSnapshot>,
  downs: Map<string, string>,
): Promise<void> {
  let blockedBy: string | undefined;
  for (let i = applied.length - 1; i >= 0; i -= 1) {
    const m = applied[i] as MigrationRehearsal;
    const down = downs.get(m.name);
    if (down === undefined) {
      blockedBy ??= m.name;
      continue;
    }
    let check: DownCheck;
    if (blockedBy !== undefined) {
      check = {
        outcome: 'not_checked',
        message: `not checked: ${blockedBy}, applied after it, cannot be reverted first`,
      };
    } else {
      st.input.phase(`Checking the down.sql of ${m.name}`);
      try {
        await runDownScript(st.shadow.url, down, st.appName);
        const now = await readSchemaAt(st.shadow.url);
        const was = before.get(m.name);
        const diff = was ? schemaDifferences(was, now) : ['the schema before the migration was not read'];
        check =
          diff.length === 0
            ? { outcome: 'restored', message: 'down.sql restores the schema from before the migration' }
            : {
                outcome: 'differs',
                message: 'down.sql does not restore the schema from before the migration',
                differences: diff,
              };
      } catch (err) {
        check = { outcome: 'failed', message: `down.sql failed: ${describeError(err)}` };
      }
      if (check.outcome !== 'restored') blockedBy = m.name;
    }
    applied[i] = { ...m, down: check };
    st.input.onMigration(applied[i] as MigrationRehearsal);
  }
}
