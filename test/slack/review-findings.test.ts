/**
 * Golden test of the review renderer, and Slack's limits on a large report.
 */
import { reviewMigrations, type ReviewReport } from '../../src/migrations/review/index.js';
import {
  MAX_FINDINGS_SHOWN,
  renderReviewFindings,
  reviewFindingsBlocks,
} from '../../src/slack/renderers/review-findings.js';

const GOLDEN = {
  text: 'SQL review: 1 error(s), 1 warning(s), 1 info',
  blocks: [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: 'SQL review',
        emoji: true,
      },
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: '*SQL review:* 1 error(s) · 1 warning(s) · 1 info · 1 suppressed',
        },
      ],
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: ':red_circle: *error* `set-not-null` · `20240201000000_idx`:4\n> `ALTER TABLE "Post" ALTER COLUMN "b" SET NOT NULL`\nSET NOT NULL on b scans every row of "Post" while holding an ACCESS EXCLUSIVE lock on "Post" (blocks all reads and writes), and fails if any row is NULL.\n_Add CHECK (col IS NOT NULL) NOT VALID, backfill, VALIDATE it in a later migration, then SET NOT NULL and drop the check._\n:large_orange_diamond: *warning* `create-index-non-concurrent` · `20240201000000_idx`:3\n> `CREATE INDEX "Post_a_idx" ON "Post"("a")`\nCREATE INDEX without CONCURRENTLY takes a SHARE lock on "Post" (blocks writes; reads continue) for the whole index build, which reads the entire table.\n_Create the index with CREATE INDEX CONCURRENTLY, alone in its own migration file._\n:information_source: *info* `json-column` · `20240101000000_init`:2\n> `ALTER TABLE "User" ADD COLUMN "meta" JSON`\nColumn meta of "User" is json, which has no equality operator: DISTINCT, GROUP BY and some queries on the table will fail on it.\n_Use jsonb instead of json._',
      },
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'Suppressed by drawbridge-ignore: `drop-column` in `20240201000000_idx` (unused since v3)',
        },
      ],
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: '*Impact estimate*\n:hourglass: `20240201000000_idx`: *slow* · blocked now by pid 4242 on "Post"\nClass slow: the work is proportional to table size (size-bound work about 12 s).',
      },
    },
  ],
};

async function smallReport(): Promise<ReviewReport> {
  const report = await reviewMigrations([
    {
      name: '20240101000000_init',
      sql: 'CREATE TABLE "User" ("id" TEXT NOT NULL);\nALTER TABLE "User" ADD COLUMN "meta" JSON;',
    },
    {
      name: '20240201000000_idx',
      sql: '-- drawbridge-ignore drop-column unused since v3\nALTER TABLE "Post" DROP COLUMN "old";\nCREATE INDEX "Post_a_idx" ON "Post"("a");\nALTER TABLE "Post" ALTER COLUMN "b" SET NOT NULL;',
    },
  ]);
  report.impact = {
    available: true,
    migrations: [
      {
        migration: '20240201000000_idx',
        class: 'slow',
        estimatedSeconds: 12.5,
        reasoning: ['Class slow: the work is proportional to table size (size-bound work about 12 s).'],
        tables: [
          {
            table: '"Post"',
            exists: true,
            rows: 1000000,
            rowsSource: 'statistics',
            totalBytes: 250000000,
            touches: [],
            blockers: [
              {
                pid: 4242,
                ageSeconds: 30,
                state: 'idle in transaction',
                mode: 'AccessShareLock',
                query: 'SELECT 1',
              },
            ],
          },
        ],
      },
    ],
  };
  return report;
}

describe('review findings renderer', () => {
  it('matches the golden message: worst first, suppressed, impact', async () => {
    expect(renderReviewFindings(await smallReport())).toEqual(GOLDEN);
  });

  it('stays within Slack limits on a large review and counts the rest', async () => {
    const longName = 'c'.repeat(60);
    const entries = Array.from({ length: 120 }, (_, i) => ({
      name: `2024${String(i).padStart(10, '0')}_m`,
      sql: `ALTER TABLE "T${i}" ADD COLUMN "${longName}" JSON;\nDROP TABLE "Old${i}";\nCREATE INDEX "i${i}" ON "T${i}"("a");`,
    }));
    const report = await reviewMigrations(entries);
    const message = renderReviewFindings(report);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    for (const b of message.blocks) {
      const text = (b as { text?: { text?: string } }).text?.text;
      if (b.type === 'section') expect(text?.length ?? 0).toBeLessThanOrEqual(3000);
    }
    const texts = JSON.stringify(message.blocks);
    expect(texts).toContain(
      `and ${360 - MAX_FINDINGS_SHOWN} more finding(s) not shown (105 error, 120 warning, 120 info)`,
    );
    // Worst first: the first listed finding is an error.
    expect(texts.indexOf('*error*')).toBeLessThan(
      texts.indexOf('*warning*') === -1 ? Infinity : texts.indexOf('*warning*'),
    );
  });

  it('says when there are no findings and when the estimate is unavailable', async () => {
    const report = await reviewMigrations([{ name: 'm', sql: 'CREATE TABLE "A" ("id" INT);' }]);
    const blocks = JSON.stringify(reviewFindingsBlocks(report));
    expect(blocks).toContain('No findings in the pending SQL.');
    expect(blocks).toContain('*Impact estimate:* no database given');
  });
});
