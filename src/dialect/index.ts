/**
 * The databases the plugin runs on, by Prisma's provider name: the one place that lists them.
 * Adding a database is adding its folder (dialect/<name>/: the dialect and its driver) and its
 * line here.
 */
import type { Dialect } from './dialect.js'
import type { MariadbPoolLike } from './mysql/driver.js'
import { mysqlDialect } from './mysql/index.js'
import { postgresDialect } from './postgres/index.js'
import type { PgPoolLike } from './postgres/driver.js'
import { sqliteDialect } from './sqlite/index.js'
import type { SqliteDatabaseLike } from './sqlite/driver.js'

export type { Dialect, DriverSupport, SendInput } from './dialect.js'
export type { PgPoolClientLike, PgPoolLike, PgQueryConfig, PgResultLike } from './postgres/driver.js'
export type { SqliteDatabaseLike, SqliteStatementLike } from './sqlite/driver.js'
export type { MariadbConnectionLike, MariadbPoolLike, MariadbQueryOptions } from './mysql/driver.js'

/** The databases the plugin runs on (Prisma's provider names). */
export type Provider = 'postgresql' | 'sqlite' | 'mysql'

/** The host's own driver (option `driver`), as each database's Prisma adapter uses it. */
export type DriverLike = PgPoolLike | SqliteDatabaseLike | MariadbPoolLike

const DIALECTS: Readonly<Record<Provider, Dialect>> = {
  postgresql: postgresDialect,
  sqlite: sqliteDialect,
  mysql: mysqlDialect
}

/** Other names a Prisma client may give its provider. */
const ALIASES: Readonly<Record<string, Provider>> = { postgres: 'postgresql' }

/** Every provider, in the order messages list them. */
export const PROVIDERS = Object.keys(DIALECTS) as Provider[]

/** Words joined as a sentence lists them: `a`, `a and b`, `a, b and c`. */
export function listed (words: readonly string[], conjunction: 'and' | 'or'): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} ${conjunction} ${words[words.length - 1] as string}`
}

/** The dialect of `provider`. */
export function dialectOf (provider: Provider): Dialect {
  return DIALECTS[provider]
}

/** The provider a name stands for (an alias included), or undefined for a database the plugin does not run on. */
export function providerNamed (name: unknown): Provider | undefined {
  if (typeof name !== 'string') return undefined
  if (Object.hasOwn(DIALECTS, name)) return name as Provider
  return ALIASES[name]
}

/** The provider whose driver `value` is, or undefined. */
export function driverProvider (value: unknown): Provider | undefined {
  return PROVIDERS.find((provider) => DIALECTS[provider].driver.accepts(value))
}
