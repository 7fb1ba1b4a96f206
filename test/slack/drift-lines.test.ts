/**
 * The drift lines on the plan and approval messages: the count with the first few differences,
 * "No drift", or why it was not checked; nothing without a shadow database.
 */
import { DRIFT_SHOWN, driftLines } from '../../src/slack/renderers/drift-lines.js';
import type { DriftItem } from '../../src/core/index.js';

const item = (n: number): DriftItem => ({
  kind: 'column',
  name: `User.c${n}`,
  change: 'extra',
  message: `column \`User.c${n}\` exists in production but in no migration`,
});

describe('driftLines', () => {
  it('says nothing without a drift check', () => {
    expect(driftLines({ environment: 'production' })).toEqual([]);
  });

  it('says "No drift"', () => {
    expect(driftLines({ environment: 'production', drift: { items: [] } })).toEqual([
      ':white_check_mark: *Schema drift:* No drift: the live schema is what its applied migrations make.',
    ]);
  });

  it('counts the differences and shows the first few', () => {
    const items = Array.from({ length: DRIFT_SHOWN + 2 }, (_, i) => item(i + 1));
    const lines = driftLines({ environment: 'production', drift: { items } });
    expect(lines[0]).toBe(
      ':warning: *Schema drift: 7 difference(s)* between production and its applied migrations (replayed on the shadow database):',
    );
    expect(lines[1]).toBe('• column `User.c1` exists in production but in no migration');
    expect(lines).toHaveLength(DRIFT_SHOWN + 2);
    expect(lines.at(-1)).toBe('_…and 2 more: `drawbridge drift --env production`_');
  });

  it('says why it was not checked, escaped', () => {
    expect(driftLines({ environment: 'production', drift: { error: 'shadow <x> & y' } })).toEqual([
      ':grey_question: *Schema drift:* not checked: shadow &lt;x&gt; &amp; y',
    ]);
  });
});
