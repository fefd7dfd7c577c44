/** What SQLite does its own way: the catalog query (its send is the portable transaction). */
import { TABLE_NAMES } from '../schema/tables.js'
import { join, sql } from './sql.js'

/** The plugin's tables' columns with their declared types. */
export const CATALOG = sql`
  SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type FROM sqlite_master m, pragma_table_info(m.name) p
  WHERE m.type = 'table' AND m.name IN (${join(TABLE_NAMES)})`
