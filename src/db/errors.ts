/**
 * What a database error means, in one place: whatever the driver, Prisma wraps it (P20xx, with the
 * driver adapter's error in `meta` or `cause`, several levels deep), and the plugin needs to know
 * only a few things about it.
 */

/** Whether an error (or one it wraps) carries one of `codes`, or the driver adapter's `kind`. */
function hasErrorCode (err: unknown, codes: ReadonlySet<string>, kinds: ReadonlySet<string>, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false
  const e = err as { code?: unknown, kind?: unknown, originalCode?: unknown, meta?: unknown, cause?: unknown, driverAdapterError?: unknown }
  if (codes.has(String(e.code)) || codes.has(String(e.originalCode)) || kinds.has(String(e.kind))) return true
  return [e.meta, e.cause, e.driverAdapterError].some((inner) => hasErrorCode(inner, codes, kinds, depth + 1))
}

// Prisma's, PostgreSQL's, SQLite's and MySQL's (the mariadb driver's errno and code) codes.
const FOREIGN_KEY_CODES = new Set(['P2003', '23503', 'SQLITE_CONSTRAINT_FOREIGNKEY', '1452', 'ER_NO_REFERENCED_ROW_2'])
const FOREIGN_KEY_KINDS = new Set(['ForeignKeyConstraintViolation'])
const UNIQUE_CODES = new Set(['P2002', '23505', 'SQLITE_CONSTRAINT_UNIQUE', '1062', 'ER_DUP_ENTRY'])
const UNIQUE_KINDS = new Set(['UniqueConstraintViolation'])
// A deadlock victim or a serialization failure; MySQL's lock wait timeout too (the wait ended the
// statement, and the whole transaction is run again).
const TRANSIENT_CONFLICT_CODES = new Set(['40P01', '40001', 'P2034', '1213', 'ER_LOCK_DEADLOCK', '1205', 'ER_LOCK_WAIT_TIMEOUT'])
const TRANSIENT_CONFLICT_KINDS = new Set(['TransactionWriteConflict'])

/** A foreign-key violation, on either provider: P2003 from model queries, P2010 from raw ones. */
export function isForeignKeyViolation (err: unknown): boolean {
  return hasErrorCode(err, FOREIGN_KEY_CODES, FOREIGN_KEY_KINDS)
}

/** A unique index refused the row. */
export function isUniqueViolation (err: unknown): boolean {
  return hasErrorCode(err, UNIQUE_CODES, UNIQUE_KINDS)
}

/** A deadlock or serialization failure: the transaction was rolled back and may simply be run again. */
export function isTransientConflict (err: unknown): boolean {
  return hasErrorCode(err, TRANSIENT_CONFLICT_CODES, TRANSIENT_CONFLICT_KINDS)
}

const UNAVAILABLE_CODES = new Set([
  'P1001', 'P1002', 'P1008', 'P1017', 'P2024', // cannot reach, timed out, connection closed, pool timeout
  'P2028', // a transaction could not start within maxWait, or outlived its timeout
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', // PostgreSQL shutting down, connection failures
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'SQLITE_BUSY', 'SQLITE_CANTOPEN',
  // The mariadb driver: no connection within the pool's wait, a connection lost or closed, the server going away.
  'ER_GET_CONNECTION_TIMEOUT', 'ER_SOCKET_UNEXPECTED_CLOSE', 'ER_CONNECTION_ALREADY_CLOSED', 'ER_CMD_CONNECTION_CLOSED',
  'ER_POOL_ALREADY_CLOSED', 'ER_SOCKET_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR', 'ER_CONNECTION_TIMEOUT',
  // The same by errno, as Prisma's MariaDB adapter reports them (its `kind: 'mysql'` error keeps only the number).
  '45028', '45009', '45001', '45013', '45027', '45026', '1053', '1040', '45012'
])
const UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'DatabaseDoesNotExist'])
/** The `pg` driver's own connection errors, which carry no code. */
const UNAVAILABLE_MESSAGES = /Query read timeout|Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|Connection is closed/

/** The database cannot be reached or is going away: nothing a retry later would not fix. */
export function isDatabaseUnavailable (err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false
  const e = err as { code?: unknown, kind?: unknown, originalCode?: unknown, message?: unknown, meta?: unknown, cause?: unknown, driverAdapterError?: unknown }
  if (UNAVAILABLE_CODES.has(String(e.code)) || UNAVAILABLE_CODES.has(String(e.originalCode)) || UNAVAILABLE_KINDS.has(String(e.kind))) return true
  if (e.code === undefined && typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true
  return [e.meta, e.cause, e.driverAdapterError].some((inner) => isDatabaseUnavailable(inner, depth + 1))
}
