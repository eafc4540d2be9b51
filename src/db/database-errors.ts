/** SQLSTATE codes the service reacts to (see the PostgreSQL "Errors and Messages" appendix). */
export const sqlState = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  /** `lock_timeout` expired while waiting for a row lock. */
  lockNotAvailable: '55P03',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

/**
 * The SQLSTATE of a PostgreSQL failure, or undefined for anything else. Works for MikroORM's typed
 * exceptions (`UniqueConstraintViolationException` and friends copy the driver error's fields) and
 * for raw `pg` errors alike; a Node system error code such as `ECONNREFUSED` is not a SQLSTATE.
 */
export function sqlStateOf(error: unknown): string | undefined {
  const code = stringField(error, 'code');
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * The constraint (or, for a partial unique index, the index) a PostgreSQL failure names.
 * PostgreSQL reports it in its own field, so no message text is parsed.
 */
export function constraintNameOf(error: unknown): string | undefined {
  return sqlStateOf(error) === undefined ? undefined : stringField(error, 'constraint');
}

/**
 * True when `error` is a unique violation of exactly `constraintName` (a constraint or a unique
 * index). Use it to turn a lost race into its domain error, e.g. the running-turn index into
 * `GENERATION_IN_PROGRESS`; let every other failure propagate unchanged.
 */
export function isUniqueViolation(error: unknown, constraintName: string): boolean {
  return sqlStateOf(error) === sqlState.uniqueViolation && constraintNameOf(error) === constraintName;
}

/** True when a statement gave up waiting for a row lock (`lock_timeout`, see `runInTransaction`). */
export function isLockTimeout(error: unknown): boolean {
  return sqlStateOf(error) === sqlState.lockNotAvailable;
}

function stringField(error: unknown, name: string): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value: unknown = Reflect.get(error, name);
  return typeof value === 'string' ? value : undefined;
}
