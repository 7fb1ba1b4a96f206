/**
 * Freezes: stretches of time, from the configuration, when nothing may be deployed or scheduled
 * (a holiday, a launch, an audit). A freeze covers [from, to): `to` is the first moment it no longer
 * applies. Pure.
 */
import { slackDate } from './time-input.js';
import type { Freeze } from './types.js';

/** The freeze in force at `at`, if any (the one that ends last when several are). */
export function activeFreeze(freezes: readonly Freeze[], at: number): Freeze | undefined {
  return latestEnding(freezes.filter((f) => f.from <= at && at < f.to));
}

/**
 * A freeze that touches [startMs, endMs), if any (the one that ends last when several do): a
 * window there would run, at least in part, during the freeze.
 */
export function freezeOverlapping(
  freezes: readonly Freeze[],
  startMs: number,
  endMs: number,
): Freeze | undefined {
  return latestEnding(freezes.filter((f) => f.from < endMs && startMs < f.to));
}

/** A freeze for people: `Christmas (until <slack date>)`. */
export function describeFreeze(f: Freeze): string {
  return `${f.reason} (until ${slackDate(f.to)})`;
}

function latestEnding(freezes: readonly Freeze[]): Freeze | undefined {
  return freezes.reduce<Freeze | undefined>(
    (best, f) => (best === undefined || f.to > best.to ? f : best),
    undefined,
  );
}
