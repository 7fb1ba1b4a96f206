/**
 * Where the rehearsal's copy of the environment comes from, decided purely: the newest verified backup
 * when it is recent enough (migrations applied since it was taken are applied to the copy first, see
 * rehearse.ts); otherwise a fresh dump; or the schema only, when the environment says so.
 */

/** A verified backup a run recorded. */
export interface BackupCandidate {
  readonly runId: string;
  readonly path: string;
  readonly fileName: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  /** When the dump started (ms). */
  readonly takenAt: number;
}

export type SourceChoice =
  | { readonly kind: 'backup'; readonly backup: BackupCandidate }
  | { readonly kind: 'dump'; readonly note?: string }
  | { readonly kind: 'schema-only' };

export interface ChooseSourceInput {
  readonly data: 'full' | 'schema-only';
  readonly maxBackupAgeHours: number;
  readonly now: number;
  /** Verified backups of the environment whose file is on its host, any order. */
  readonly backups: readonly BackupCandidate[];
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h < 10 ? `${h.toFixed(1)} h` : `${Math.round(h)} h`;
}

/** Picks the source. Pure. */
export function chooseSource(input: ChooseSourceInput): SourceChoice {
  if (input.data === 'schema-only') return { kind: 'schema-only' };
  const newest = [...input.backups].sort((a, b) => b.takenAt - a.takenAt)[0];
  if (!newest) return { kind: 'dump', note: 'no verified backup of the environment was found' };
  const age = input.now - newest.takenAt;
  if (age > input.maxBackupAgeHours * 3_600_000)
    return {
      kind: 'dump',
      note: `the newest backup (${newest.fileName}) is ${hours(age)} old, more than rehearsal.maxBackupAgeHours (${input.maxBackupAgeHours} h)`,
    };
  return { kind: 'backup', backup: newest };
}
