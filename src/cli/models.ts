/**
 * The plugin's Prisma models, adapted to a database provider and a kind of user id: the single
 * source of truth is the package's `prisma/models.prisma`. The `fastify-directmessages schema`
 * command writes them into a host's schema, and the project derives its own provider schemas
 * (scripts/prisma-schemas.mjs) with the same functions, so the two cannot drift.
 *
 * Pure text transformations: the only I/O is {@link readModels}, which reads the models file.
 */
import { readFileSync } from 'node:fs'

/** The database providers the plugin supports. */
export type Provider = 'sqlite' | 'postgresql'

/** The Prisma type of the host's user id. */
export type UserIdType = 'Int' | 'String'

/** What the models are adapted to. */
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

/** The plugin's model names, as `prisma/models.prisma` defines them. */
export const PLUGIN_MODELS = ['DirectMessage', 'DirectConversation', 'DirectMessagesUser', 'DirectMessageBlock', 'DirectMessageEdit', 'DirectMessageReaction', 'DirectMessageChange', 'DirectMessagePresence'] as const

/** The tables the plugin's models map to, as `prisma/models.prisma` maps them. */
export const PLUGIN_TABLES = ['dm_message', 'dm_conversation', 'dm_user', 'dm_block', 'dm_message_edit', 'dm_reaction', 'dm_change', 'dm_presence'] as const

/** The fields of the plugin's models that hold a user id. */
export const USER_ID_FIELDS = ['senderId', 'recipientId', 'userLowId', 'userHighId', 'ownerId', 'partnerId', 'userId', 'blockerId', 'blockedId']

/** One back-relation field the user model needs: its name, type and relation name. */
export interface BackRelation {
  /** The field name in the user model. */
  field: string
  /** Its Prisma type (a plugin model, as a list or optional). */
  type: string
  /** The relation name, as the plugin's models name it. */
  relation: string
}

/** The back-relation fields the host's user model needs, one per relation of the models to it. */
export const BACK_RELATIONS: readonly BackRelation[] = [
  { field: 'directMessagesSent', type: 'DirectMessage[]', relation: 'DirectMessageSender' },
  { field: 'directMessagesReceived', type: 'DirectMessage[]', relation: 'DirectMessageRecipient' },
  { field: 'directConversations', type: 'DirectConversation[]', relation: 'DirectConversationOwner' },
  { field: 'directConversationsWith', type: 'DirectConversation[]', relation: 'DirectConversationPartner' },
  { field: 'directMessagesUser', type: 'DirectMessagesUser?', relation: 'DirectMessagesUser' },
  { field: 'directMessageBlocks', type: 'DirectMessageBlock[]', relation: 'DirectMessageBlocker' },
  { field: 'directMessageBlockedBy', type: 'DirectMessageBlock[]', relation: 'DirectMessageBlocked' },
  { field: 'directMessageReactions', type: 'DirectMessageReaction[]', relation: 'DirectMessageReactionUser' }
]

/**
 * The URL of the package's `prisma/models.prisma`: two folders up from this module, both from
 * `src/cli/` (the project) and from `dist/cli/` (the installed package, which ships the file).
 */
export const MODELS_FILE = new URL('../../prisma/models.prisma', import.meta.url)

/** The plugin's models as `prisma/models.prisma` holds them (PostgreSQL, `Int` user ids). */
export function readModels (): string {
  return readFileSync(MODELS_FILE, 'utf8')
}

const USER_ID_FIELD = new RegExp(`^(\\s+(?:${USER_ID_FIELDS.join('|')})\\s+)Int\\b`, 'gm')
const USER_ID_FIELD_LINE = new RegExp(`^(\\s+(?:${USER_ID_FIELDS.join('|')})\\s+)(Int|String)\\b(.*)$`, 'gm')

/** The models with every field holding a user id typed `String` instead of `Int`. */
export function withStringUserIds (models: string): string {
  return models.replace(USER_ID_FIELD, (_, head: string) => `${head}String`)
}

/**
 * The models with every `BigInt` typed `Int`: SQLite autoincrements only an `INTEGER PRIMARY KEY`
 * (a 64-bit rowid alias), not a `BIGINT` one.
 */
export function bigIntAsInt (models: string): string {
  return models.replace(/\bBigInt\b/g, 'Int')
}

/** The models with `nativeType` (e.g. `@db.Uuid`) appended to every field holding a user id. */
export function withUserIdNativeType (models: string, nativeType: string): string {
  return models.replace(USER_ID_FIELD_LINE, (_, head: string, type: string, rest: string) => `${head}${type}${rest} ${nativeType}`)
}

/**
 * The models with their relations to `User.id` pointing at the host's user model and id field:
 * the relations name the model and the field, never the table, so a `@@map`ped model is fine.
 */
export function withUserModel (models: string, userModel: string, userIdField: string): string {
  return models.replace(/^(\s+\w+\s+)User(\??)(\s+@relation\(.*)$/gm, (_, head: string, optional: string, relation: string) =>
    `${head}${userModel}${optional}${relation.replace(/references: \[id\]/, `references: [${userIdField}]`)}`)
}

/**
 * The plugin's models adapted to `target`: the one transformation both the CLI and the project's
 * own provider schemas use.
 *
 * - SQLite: every `BigInt` becomes `Int` (see {@link bigIntAsInt}); PostgreSQL keeps `BigInt`.
 * - String user ids: the fields holding a user id become `String`.
 * - The relations to `User.id` target the host's user model and id field.
 *
 * The result keeps the models file's layout (columns may no longer line up: see
 * {@link alignFields}).
 */
export function adaptModels (models: string, target: ModelsTarget): string {
  let text = target.userIdType === 'String' ? withStringUserIds(models) : models
  if (target.userIdNativeType !== undefined) text = withUserIdNativeType(text, target.userIdNativeType)
  if (target.provider === 'sqlite') text = bigIntAsInt(text)
  const userModel = target.userModel ?? 'User'
  const userIdField = target.userIdField ?? 'id'
  if (userModel !== 'User' || userIdField !== 'id') text = withUserModel(text, userModel, userIdField)
  return text
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
