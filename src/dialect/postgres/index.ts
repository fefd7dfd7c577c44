/** PostgreSQL. */
import { join, ON_CONFLICT, raw, sql } from '../../db/sql.js'
import { TABLE_NAMES } from '../../schema/tables.js'
import type { Dialect, DriverSupport } from '../dialect.js'
import { isPgClient, isPgPool, pgDatabase, type PgPoolLike } from './driver.js'
import { sendStatement } from './send.js'

const driver: DriverSupport<PgPoolLike> = {
  kind: 'pg Pool',
  expected: 'pg.Pool',
  accepts: isPgPool,
  nearMiss: (value) => isPgClient(value) ? 'is a pg Client, which runs one query at a time; pass the pg.Pool the Prisma adapter uses' : undefined,
  closed: (pool) => pool.ending === true || pool.ended === true ? 'pg Pool has been ended' : undefined,
  database: pgDatabase
}

export const postgresDialect: Dialect = {
  provider: 'postgresql',
  label: 'PostgreSQL',
  text: (statement) => statement.text,
  asText: (column) => column,
  quote: (name) => `"${name.replaceAll('"', '""')}"`,
  // A bare parameter in a SELECT list has no type in PostgreSQL.
  time: (at) => sql`CAST(${at} AS TIMESTAMP(3))`,
  // A row lock: FOR UPDATE writes no new version of the row.
  forUpdate: raw('FOR UPDATE'),
  returning: true,
  ...ON_CONFLICT,
  sendStatement,
  // A LATERAL lookup per row, which the planner cannot turn into a scan of the whole user table
  // (it would, for a small one, with a plain join).
  withPartners: (statement, users, column, order) => sql`
    SELECT p.*, ${users.names} FROM (${statement}) p
    CROSS JOIN LATERAL (SELECT ${users.columns} FROM ${users.from} WHERE ${users.id} = p.${raw(column)} LIMIT 1) u
    ORDER BY ${order}`,
  // Just those conversations: a LATERAL range scan of dm_conversation_recent_idx per user.
  recentPartners: (owners, limit) => sql`
    SELECT o.user_id AS owner_id, c.partner_id FROM dm_user o CROSS JOIN LATERAL (
      SELECT partner_id FROM dm_conversation WHERE owner_id = o.user_id AND last_message_id IS NOT NULL
      ORDER BY last_message_id DESC LIMIT ${limit}) c
    WHERE o.user_id IN (${join(owners)})`,
  // Catalog names cast to text: the Prisma adapter reads no `name` column.
  catalog: {
    tables: sql`
      SELECT CAST(table_name AS TEXT) AS table_name, CAST(column_name AS TEXT) AS column_name, CAST(data_type AS TEXT) AS data_type
      FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name IN (${join(TABLE_NAMES)})`,
    columns: (name) => sql`
      SELECT CAST(column_name AS TEXT) AS column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${name}`,
    identity: sql`SELECT CAST(current_database() AS TEXT) || ' on the server started ' || CAST(pg_postmaster_start_time() AS TEXT) AS identity`
  },
  driver,
  serialType: 'BigInt',
  checks: { least: 'LEAST', greatest: 'GREATEST', byBytes: (expression) => `${expression} COLLATE "C"`, placement: 'alter' }
}
