/**
 * MySQL 8.0+ and MariaDB 10.6+ (Prisma's provider `mysql`). Designed for them rather than
 * translated: no `RETURNING` (a write reads what it changed in a statement of its own, its rows
 * locked), `ON DUPLICATE KEY UPDATE` for upserts, no `LATERAL` (MariaDB: a join on the user
 * table's key, a window function for the presence audience).
 */
import { join, joinPartners, rankedRecentPartners, raw, sql } from '../../db/sql.js'
import { TABLE_NAMES } from '../../schema/tables.js'
import type { Dialect, DriverSupport } from '../dialect.js'
import { isMariadbConnection, isMariadbPool, mariadbDatabase, type MariadbPoolLike } from './driver.js'

const driver: DriverSupport<MariadbPoolLike> = {
  kind: 'mariadb Pool',
  expected: 'mariadb Pool',
  accepts: isMariadbPool,
  nearMiss: (value) => isMariadbConnection(value) ? 'is a mariadb Connection, which runs one command at a time; pass a mariadb Pool (createPool) of the same database' : undefined,
  closed: (pool) => pool.closed === true ? 'mariadb Pool has been ended' : undefined,
  database: mariadbDatabase
}

export const mysqlDialect: Dialect = {
  provider: 'mysql',
  label: 'MySQL',
  text: (statement) => statement.sql,
  // A utf8mb4_bin column carries the binary flag, which the Prisma adapter reads as bytes.
  asText: (column) => sql`CAST(${column} AS CHAR)`,
  quote: (name) => `\`${name.replaceAll('`', '``')}\``,
  time: (at) => sql`CAST(${at} AS DATETIME(3))`,
  forUpdate: raw('FOR UPDATE'),
  // REPEATABLE READ would have a write read the snapshot of before it waited for a lock.
  isolation: 'ReadCommitted',
  returning: false,
  forceIndex: (index) => raw(`FORCE INDEX (${index})`),
  splitOrLookups: true,
  insertedId: raw('LAST_INSERT_ID()'),
  // (The row alias of MySQL 8.0.19+ is not MariaDB's; VALUES() is both's.)
  upsert: (_conflict, set) => sql`ON DUPLICATE KEY UPDATE ${set}`,
  inserted: (column) => raw(`VALUES(${column})`),
  keep: (conflict) => raw(`ON DUPLICATE KEY UPDATE ${conflict[0] as string} = ${conflict[0] as string}`),
  withPartners: joinPartners,
  recentPartners: rankedRecentPartners,
  catalog: {
    tables: sql`
      SELECT table_name AS table_name, column_name AS column_name, data_type AS data_type
      FROM information_schema.columns
      WHERE table_schema = DATABASE() AND table_name IN (${join(TABLE_NAMES)})`,
    columns: (name) => sql`
      SELECT column_name AS column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ${name}`,
    identity: sql`SELECT CONCAT(DATABASE(), ' on ', @@hostname, ':', @@port) AS identity`,
    text: sql`
      SELECT table_name AS table_name, column_name AS column_name, character_set_name AS charset, collation_name AS collation
      FROM information_schema.columns
      WHERE table_schema = DATABASE() AND table_name IN (${join(TABLE_NAMES)}) AND character_set_name IS NOT NULL`
  },
  driver,
  serialType: 'BigInt',
  // Indexed text needs a length (an index key is at most 3,072 bytes, 4 a character); a message
  // up to the longest content option.
  textType: (length) => length === 'long' ? '@db.MediumText' : length === undefined ? undefined : `@db.VarChar(${length})`,
  // A CHECK may not read a column a foreign key's ON DELETE writes: triggers. Emojis and keys
  // compare by their bytes (utf8mb4_unicode_ci holds every emoji equal to every other).
  checks: { least: 'LEAST', greatest: 'GREATEST', byBytes: (expression) => `${expression} COLLATE utf8mb4_bin`, placement: 'triggers', exactCollation: 'utf8mb4_bin' }
}
