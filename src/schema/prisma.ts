/**
 * The plugin's tables (schema/tables.ts) as Prisma models, for a database and a host: what the
 * `fastify-directmessages schema` command writes into a host's schema, and what the project's
 * own schemas are made of (scripts/prisma-schemas.mjs), by the same function.
 */
import { dialectOf, type Provider } from '../dialect/index.js'
import { BACK_RELATION_ORDER, columnName, TABLES, type Column, type Index, type Relation, type Table } from './tables.js'

/** The Prisma type of the host's user id. */
export type UserIdType = 'Int' | 'String'

/** What the models are written for. */
export interface ModelsTarget {
  /** The datasource provider. */
  provider: Provider
  /** The type of the user model's `@id` field. */
  userIdType: UserIdType
  /** The name of the host's user model (default `User`). */
  userModel?: string
  /** The name of the user model's `@id` field (default `id`). */
  userIdField?: string
  /**
   * The native type attribute of the user model's id (e.g. `@db.Uuid`), given to every field that
   * holds a user id so that the foreign keys' column types match.
   */
  userIdNativeType?: string
}

/** The plugin's model names. */
export const PLUGIN_MODELS: readonly string[] = Object.values(TABLES).map((table) => table.model)

/** One back-relation field the user model needs: its name, type and relation name. */
export interface BackRelation {
  /** The field name in the user model. */
  field: string
  /** Its Prisma type (a plugin model, as a list or optional). */
  type: string
  /** The relation name, as the plugin's models name it. */
  relation: string
}

const order = (relation: string): number => {
  const at = BACK_RELATION_ORDER.indexOf(relation)
  return at === -1 ? BACK_RELATION_ORDER.length : at
}

/** The back-relation fields the host's user model needs, one per relation of the models to it. */
export const BACK_RELATIONS: readonly BackRelation[] = Object.values(TABLES)
  .flatMap((table) => table.relations.flatMap((relation) => relation.back === undefined
    ? []
    : [{ field: relation.back.field, type: `${table.model}${relation.back.list ? '[]' : '?'}`, relation: relation.name }]))
  .sort((a, b) => order(a.relation) - order(b.relation))

/** The Prisma type of a column, for `target`. */
function typeOf (column: Column, target: ModelsTarget): string {
  switch (column.kind) {
    case 'serial':
    case 'serialRef':
      return dialectOf(target.provider).serialType
    case 'userId': return target.userIdType
    case 'int': return 'Int'
    case 'text': return 'String'
    case 'bool': return 'Boolean'
    case 'time': return 'DateTime'
  }
}

function defaultOf (value: NonNullable<Column['default']>): string {
  if (value === 'now') return '@default(now())'
  if (value === 'autoincrement') return '@default(autoincrement())'
  return `@default(${String(value)})`
}

function docLines (doc: string | undefined, indent: string): string[] {
  return doc === undefined ? [] : doc.split('\n').map((line) => `${indent}/// ${line}`)
}

function columnLines (column: Column, target: ModelsTarget): string[] {
  const attributes = [
    column.id === true ? '@id' : '',
    column.default === undefined ? '' : defaultOf(column.default),
    column.column === undefined ? '' : `@map("${columnName(column)}")`,
    column.kind === 'userId' && target.userIdNativeType !== undefined ? target.userIdNativeType : '',
    column.kind === 'text' ? dialectOf(target.provider).textType?.(column.length) ?? '' : ''
  ].filter((attribute) => attribute !== '')
  const type = `${typeOf(column, target)}${column.optional === true ? '?' : ''}`
  return [...docLines(column.doc, '  '), `  ${column.field} ${type}${attributes.length === 0 ? '' : ` ${attributes.join(' ')}`}`]
}

function relationLine (relation: Relation, target: ModelsTarget): string {
  const toUser = relation.model === 'User'
  const model = toUser ? target.userModel ?? 'User' : relation.model
  const references = toUser ? [target.userIdField ?? 'id'] : relation.references
  const type = `${model}${relation.list === true ? '[]' : relation.optional === true ? '?' : ''}`
  const args = [`"${relation.name}"`]
  if (relation.fields !== undefined) args.push(`fields: [${relation.fields.join(', ')}]`, `references: [${(references ?? []).join(', ')}]`)
  if (relation.onDelete !== undefined) args.push(`onDelete: ${relation.onDelete}`)
  return `  ${relation.field} ${type} @relation(${args.join(', ')})`
}

function indexLines (index: Index): string[] {
  const fields = index.fields.map((field) => typeof field === 'string' ? field : `${field.field}(sort: Desc)`).join(', ')
  const name = index.name === undefined ? '' : `, map: "${index.name}"`
  return [...docLines(index.doc, '  '), `  @@${index.kind}([${fields}]${name})`]
}

function modelText (table: Table, target: ModelsTarget): string {
  const attributes = [...table.indexes.flatMap(indexLines), `  @@map("${table.table}")`]
  return [
    ...docLines(table.doc, ''),
    `model ${table.model} {`,
    ...table.columns.flatMap((column) => columnLines(column, target)),
    '',
    ...table.relations.map((relation) => relationLine(relation, target)),
    '',
    ...attributes,
    '}'
  ].join('\n')
}

/** The plugin's models for `target`, their fields lined up as `prisma format` lines them up. */
export function renderModels (target: ModelsTarget, tables: Readonly<Record<string, Table>> = TABLES): string {
  return alignFields(Object.values(tables).map((table) => modelText(table, target)).join('\n\n'))
}

const FIELD_LINE = /^(\s+)(\w+)(\s+)(\S+)(?:\s+(.*))?$/

/**
 * The text with the fields of every model block lined up in columns (name, type, attributes), as
 * `prisma format` lines them up: consecutive field lines form a group (documentation comments do
 * not interrupt it; a blank line, a block attribute or the end of the block does).
 */
export function alignFields (text: string): string {
  const lines = text.split('\n')
  let inModel = false
  let group: number[] = []
  const flush = (): void => {
    const fields = group.map((index) => FIELD_LINE.exec(lines[index] as string) as RegExpExecArray)
    const nameWidth = Math.max(...fields.map((match) => (match[2] as string).length))
    const typeWidth = Math.max(...fields.map((match) => (match[4] as string).length))
    group.forEach((index, i) => {
      const [, indent, name, , type, attributes] = fields[i] as RegExpExecArray
      lines[index] = attributes === undefined
        ? `${indent as string}${(name as string).padEnd(nameWidth)} ${type as string}`.trimEnd()
        : `${indent as string}${(name as string).padEnd(nameWidth)} ${(type as string).padEnd(typeWidth)} ${attributes.trim()}`
    })
    group = []
  }
  lines.forEach((line, index) => {
    if (!inModel) {
      inModel = /^\s*(model|view)\s+\w+\s*\{\s*$/.test(line)
      return
    }
    const trimmed = line.trim()
    if (trimmed.startsWith('//')) return
    if (trimmed === '}' || trimmed === '' || trimmed.startsWith('@@') || !FIELD_LINE.test(line)) {
      if (group.length > 0) flush()
      if (trimmed === '}') inModel = false
      return
    }
    group.push(index)
  })
  return lines.join('\n')
}

/** The back-relation field lines for the user model, lined up, each indented by two spaces. */
export function backRelationLines (): string[] {
  const nameWidth = Math.max(...BACK_RELATIONS.map(({ field }) => field.length))
  const typeWidth = Math.max(...BACK_RELATIONS.map(({ type }) => type.length))
  return BACK_RELATIONS.map(({ field, type, relation }) => `  ${field.padEnd(nameWidth)} ${type.padEnd(typeWidth)} @relation("${relation}")`)
}
