/**
 * An approval is for exact bytes: the pending migrations must be the approved ones, by name, order
 * and checksum, or nothing runs.
 */
import type { MigrationEntry } from './folder.js';

/**
 * Why the pending list is not the approved one (names, order, checksums), or undefined. Pure.
 */
export function compareWithApproved(
  pending: readonly Pick<MigrationEntry, 'name' | 'checksum'>[],
  expected: readonly { readonly name: string; readonly checksum: string }[],
): string | undefined {
  const problems: string[] = [];
  const approved = new Map(expected.map((e) => [e.name, e.checksum.toLowerCase()]));
  const names = new Set(pending.map((m) => m.name));
  for (const m of pending) {
    const sum = approved.get(m.name);
    if (sum === undefined) problems.push(`${m.name} is pending but not in the approved plan`);
    else if (m.checksum?.toLowerCase() !== sum)
      problems.push(
        `${m.name} changed since it was approved (checksum ${sum.slice(0, 12)} is now ${(m.checksum ?? 'unreadable').slice(0, 12)})`,
      );
  }
  for (const e of expected) {
    if (!names.has(e.name)) problems.push(`${e.name} was approved but is no longer pending`);
  }
  if (
    problems.length === 0 &&
    pending.map((m) => m.name).join('\n') !== expected.map((e) => e.name).join('\n')
  )
    problems.push('the pending migrations are in a different order than approved');
  return problems.length ? `${problems.join('; ')}.` : undefined;
}
