/** SQLite. */
import { empty, join, joinPartners, ON_CONFLICT, rankedRecentPartners, sql } from '../../db/sql.js'
import { TABLE_NAMES } from '../../schema/tables.js'
import type { Dialect, DriverSupport } from '../dialect.js'
import { isSqliteDatabase, sqliteDatabase, type SqliteDatabaseLike } from './driver.js'

const driver: DriverSupport<SqliteDatabaseLike> = {
  kind: 'better-sqlite3 Database',
  expected: 'better-sqlite3 Database',
  accepts: isSqliteDatabase,
  nearMiss: () => undefined,
  closed: (db) => db.open ? undefined : 'better-sqlite3 Database is closed',
  database: sqliteDatabase
}

export const sqliteDialect: Dialect = {
  provider: 'sqlite',
  label: 'SQLite',
  text: (statement) => statement.sql,
  asText: (column) => column,
  quote: (name) => `"${name.replaceAll('"', '""')}"`,
  time: (at) => sql`${at}`,
  // A write transaction is the database's only writer: nothing more to lock.
  forUpdate: empty,
  returning: true,
  ...ON_CONFLICT,
  withPartners: joinPartners,
  // No LATERAL: all of each user's conversations are ranked.
  recentPartners: rankedRecentPartners,
  catalog: {
    tables: sql`
      SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type FROM sqlite_master m, pragma_table_info(m.name) p
      WHERE m.type = 'table' AND m.name IN (${join(TABLE_NAMES)})`,
    columns: (name) => sql`SELECT name AS column_name FROM pragma_table_info(${name})`,
    identity: sql`SELECT file AS identity FROM pragma_database_list WHERE name = 'main'`
  },
  driver,
  // SQLite autoincrements only an INTEGER primary key (a 64-bit rowid alias), not a BIGINT one.
  serialType: 'Int',
  checks: { least: 'MIN', greatest: 'MAX', placement: 'inline' }
}
