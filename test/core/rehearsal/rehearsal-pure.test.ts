/** The pure parts of the rehearsal: the source choice, the sentences, the config, what a down.sql drops. */
import { rehearsalSchema } from '../../../src/config/rehearsal-schema.js';
import { chooseSource, type BackupCandidate } from '../../../src/core/rehearsal/choose-source.js';
import {
  describeRehearsalResult,
  formatBytes,
  formatDuration,
  shortName,
} from '../../../src/core/rehearsal/describe-rehearsal.js';
import type { RehearsalResult } from '../../../src/core/rehearsal/types.js';
import { downDrops, loadParser } from '../../../src/migrations/down-drops.js';

beforeAll(() => loadParser());

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 1, 9, 0);
const backup = (hoursOld: number, name = `b${hoursOld}`): BackupCandidate => ({
  runId: `r${hoursOld}`,
  path: `/backups/${name}.dump`,
  fileName: `${name}.dump`,
  sha256: 'a'.repeat(64),
  sizeBytes: 5_100_000_000,
  takenAt: NOW - hoursOld * HOUR,
});

describe('chooseSource', () => {
  const base = { data: 'full' as const, maxBackupAgeHours: 24, now: NOW };

  it('takes the newest backup when it is recent enough', () => {
    expect(chooseSource({ ...base, backups: [backup(30), backup(3), backup(10)] })).toEqual({
      kind: 'backup',
      backup: backup(3),
    });
  });

  it('dumps afresh without a backup, or when the newest is too old, and says why', () => {
    expect(chooseSource({ ...base, backups: [] })).toEqual({
      kind: 'dump',
      note: 'no verified backup of the environment was found',
    });
    expect(chooseSource({ ...base, backups: [backup(25)] })).toEqual({
      kind: 'dump',
      note: 'the newest backup (b25.dump) is 25 h old, more than rehearsal.maxBackupAgeHours (24 h)',
    });
  });

  it('copies the schema only when the environment says so', () => {
    expect(chooseSource({ ...base, data: 'schema-only', backups: [backup(1)] })).toEqual({
      kind: 'schema-only',
    });
  });
});

describe('describeRehearsalResult', () => {
  const ok: RehearsalResult = {
    source: { kind: 'backup', takenAt: Date.UTC(2026, 11, 1, 2, 14), sizeBytes: 5_100_000_000 },
    applyMs: 41_000,
    migrations: [
      { name: '20261201000000_a', outcome: 'applied', durationMs: 1_000, rows: [], locks: [] },
      { name: '20261201000001_b', outcome: 'applied', durationMs: 2_000, rows: [], locks: [] },
      {
        name: '20261201000002_user_created_at_index',
        outcome: 'applied',
        durationMs: 38_000,
        rows: [],
        locks: [
          { table: 'User', mode: 'ROW EXCLUSIVE', source: 'review' },
          { table: 'User', mode: 'SHARE', source: 'observed' },
        ],
      },
    ],
  };

  it('says it the way the issue does', () => {
    expect(describeRehearsalResult('production', 'succeeded', ok)).toBe(
      'Rehearsed on a copy of production (backup from 02:14 UTC, 5.1 GB): 3 migrations applied in 41 s; slowest `…_user_created_at_index` 38 s, SHARE lock on "User".',
    );
  });

  it('names the failed migration and the row that broke it', () => {
    const failed: RehearsalResult = {
      source: { kind: 'dump', takenAt: Date.UTC(2026, 11, 1, 8, 5), sizeBytes: 240_000_000 },
      migrations: [
        {
          name: '20261201000002_user_email_key',
          outcome: 'failed',
          durationMs: 120,
          error: {
            message: 'could not create unique index "User_email_key"',
            sqlState: '23505',
            detail: 'Key (email)=(a@example.com) is duplicated.',
          },
          rows: [],
          locks: [],
        },
      ],
    };
    expect(describeRehearsalResult('production', 'failed', failed)).toBe(
      'Rehearsal on a copy of production (fresh dump at 08:05 UTC, 240 MB) failed: `20261201000002_user_email_key` failed: could not create unique index "User_email_key" (SQLSTATE 23505). The row that broke it: Key (email)=(a@example.com) is duplicated.',
    );
  });

  it('says why it could not be carried out, and flags a down.sql that does not restore', () => {
    expect(
      describeRehearsalResult('staging', 'error', {
        migrations: [],
        error: '`staging` has no shadow database.',
      }),
    ).toBe('The rehearsal could not be carried out: `staging` has no shadow database.');
    const down: RehearsalResult = {
      ...ok,
      migrations: [
        {
          ...ok.migrations[0]!,
          down: {
            outcome: 'differs',
            message: 'down.sql does not restore the schema from before the migration',
          },
        },
      ],
    };
    expect(describeRehearsalResult('production', 'succeeded', down)).toContain(
      ':warning: down.sql of `20261201000000_a`: down.sql does not restore the schema from before the migration.',
    );
  });

  it('formats sizes, durations and names', () => {
    expect([formatBytes(5_100_000_000), formatBytes(240_000_000), formatBytes(4_900)]).toEqual([
      '5.1 GB',
      '240 MB',
      '5 kB',
    ]);
    expect([
      formatDuration(40),
      formatDuration(400),
      formatDuration(41_000),
      formatDuration(200_000),
    ]).toEqual(['40 ms', '0.4 s', '41 s', '3 min 20 s']);
    expect(shortName('20261201000002_user_created_at_index')).toBe('…_user_created_at_index');
    expect(shortName('init')).toBe('init');
  });
});

describe('rehearsal config', () => {
  it('accepts the shorthand, the object, and the architecture spelling', () => {
    expect(rehearsalSchema.parse('required')).toEqual({
      mode: 'required',
      data: 'full',
      maxBackupAgeHours: 24,
    });
    expect(rehearsalSchema.parse({ data: 'schema-only', maxBackupAgeHours: 6 })).toEqual({
      mode: 'optional',
      data: 'schema-only',
      maxBackupAgeHours: 6,
    });
    expect(rehearsalSchema.parse({ required: true, data: 'full', maxBackupAgeHours: 24 }).mode).toBe(
      'required',
    );
  });

  it('refuses what it does not know', () => {
    expect(rehearsalSchema.safeParse('always').success).toBe(false);
    expect(rehearsalSchema.safeParse({ mode: 'required', required: true }).success).toBe(false);
    expect(rehearsalSchema.safeParse({ data: 'some' }).success).toBe(false);
    expect(rehearsalSchema.safeParse({ maxBackupAgeHours: 0 }).success).toBe(false);
    expect(rehearsalSchema.safeParse({ mode: 'optional', extra: 1 }).success).toBe(false);
  });
});

describe('downDrops', () => {
  it('lists the tables, columns, indexes and types a down.sql drops', () => {
    const r = downDrops(
      'DROP INDEX "User_email_key";\nALTER TABLE "User" DROP COLUMN "nickname", DROP COLUMN age;\nDROP TABLE IF EXISTS app."Order";\nDROP TYPE "Role";\nCREATE TABLE kept (id int);',
    );
    expect(r).toEqual({
      ok: true,
      drops: [
        { kind: 'index', key: 'public.User_email_key', label: '"User_email_key"' },
        {
          kind: 'column',
          key: 'public.User.nickname',
          label: '"User".nickname',
          table: 'public.User',
          column: 'nickname',
        },
        { kind: 'column', key: 'public.User.age', label: '"User".age', table: 'public.User', column: 'age' },
        { kind: 'table', key: 'app.Order', label: 'app."Order"' },
        { kind: 'type', key: 'public.Role', label: '"Role"' },
      ],
    });
  });

  it('reports a file the parser rejects', () => {
    const r = downDrops('DROP TABLE;');
    expect(r.ok).toBe(false);
  });
});
