/**
 * `environments.<env>.rehearsal` (issue 14): how a deploy is rehearsed on the environment's shadow
 * database before anyone approves it. Either the shorthand `rehearsal: required` / `optional`, or an
 * object `{ mode, data, maxBackupAgeHours }` (`required: true` is accepted for `mode: required`).
 */
import * as z from 'zod';

/** The rehearsal settings of one environment, after parsing. */
export interface RehearsalConfig {
  /** `required`: Approve is refused until a rehearsal of the exact plan hash succeeded. */
  readonly mode: 'optional' | 'required';
  /** `full`: a copy with the data; `schema-only`: the schema and the migrations ledger only. */
  readonly data: 'full' | 'schema-only';
  /** The newest verified backup is restored when it is at most this old; otherwise a fresh dump. */
  readonly maxBackupAgeHours: number;
}

/** The defaults an environment with a shadow database and no `rehearsal` key gets. */
export const REHEARSAL_DEFAULTS: RehearsalConfig = { mode: 'optional', data: 'full', maxBackupAgeHours: 24 };

const modeSchema = z.enum(['optional', 'required']);

export const rehearsalSchema = z.union([
  modeSchema.transform((mode): RehearsalConfig => ({ ...REHEARSAL_DEFAULTS, mode })),
  z
    .object({
      mode: modeSchema.optional(),
      /** The architecture's spelling of `mode: required`. */
      required: z.boolean().optional(),
      data: z.enum(['full', 'schema-only']).default('full'),
      maxBackupAgeHours: z.number().positive('expected a number > 0').default(24),
    })
    .strict()
    .refine((r) => !(r.mode !== undefined && r.required !== undefined), {
      message: 'expected either mode or required, not both',
    })
    .transform((r): RehearsalConfig => ({
      mode: r.mode ?? (r.required ? 'required' : 'optional'),
      data: r.data,
      maxBackupAgeHours: r.maxBackupAgeHours,
    })),
]);
