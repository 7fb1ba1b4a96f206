/** PostgreSQL SQLSTATE codes Drawbridge reacts to. Match on these, never on message text. */
export const SQLSTATE = {
  LOCK_NOT_AVAILABLE: '55P03',
  QUERY_CANCELED: '57014',
  ACTIVE_SQL_TRANSACTION: '25001',
  UNSAFE_NEW_ENUM_VALUE_USAGE: '55P04',
  UNDEFINED_TABLE: '42P01',
  INVALID_CATALOG_NAME: '3D000',
  INVALID_PASSWORD: '28P01',
  INVALID_AUTHORIZATION: '28000',
  SYNTAX_ERROR: '42601',
  DEADLOCK_DETECTED: '40P01',
  ADMIN_SHUTDOWN: '57P01',
  INSUFFICIENT_PRIVILEGE: '42501',
} as const;

export type SqlState = (typeof SQLSTATE)[keyof typeof SQLSTATE];

/** The SQLSTATE of a pg error, if it is one. */
export function sqlStateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
