/**
 * A message as statements read it (the columns of schema/tables.ts marked `read`) and as a
 * participant sees it: its row, completed with the preview of the message it answers and its
 * reactions, in at most two statements for any number of messages.
 */
import type { Database, Executor } from '../../db/database.js'
import { dateOf } from '../../db/database.js'
import { batches, join, raw, sql, visibleTo, type Sql } from '../../db/sql.js'
import type { AttachmentUrls } from '../../attachments/urls.js'
import type { Attachment, Message, Reaction, ReplyPreview, UserId } from '../../domain/types.js'
import { IN_BATCH, type UserIdOf } from '../../core/users.js'

/** The columns of a message row (MESSAGE_COLUMNS), as the database answers them. */
export interface MessageRow {
  id: bigint | number
  sender_id: number | string
  recipient_id: number | string
  content: string
  sent_at: Date
  read_at: Date | null
  edited_at: Date | null
  unsent_at: Date | null
  reply_to_id: bigint | number | null
  reaction_count: bigint | number
  attachment_count: bigint | number
}

/** A message as its row has it: what a reader sees is completed by {@link complete}. */
export interface StoredMessage extends Message {
  replyToId: number | null
  reactionCount: number
  attachmentCount: number
}

/** A boolean column: a boolean, or 1/0 where booleans are integers. */
export type Flag = boolean | number | bigint

/** A boolean column as the driver answers it. */
export function flagOf (value: Flag | null): boolean {
  return Number(value) === 1
}

/** What reads a message: the database and how user ids come back. */
export interface MessageReader {
  readonly db: Database
  readonly uid: UserIdOf
  readonly dialect: { asText(column: Sql): Sql }
  /** Signs the URLs of attachments. */
  readonly attachmentUrls: AttachmentUrls
  readonly options: { readonly attachmentUrlTtl: number }
}

/** A message row as stored: an unsent one is a tombstone (no content, reply or reactions). */
export function toMessage (row: MessageRow, uid: UserIdOf): StoredMessage {
  const unsentAt = dateOf(row.unsent_at)
  return {
    id: Number(row.id),
    senderId: uid(row.sender_id),
    recipientId: uid(row.recipient_id),
    content: unsentAt === null ? row.content : '',
    sentAt: dateOf(row.sent_at) as Date,
    readAt: dateOf(row.read_at),
    editedAt: dateOf(row.edited_at),
    unsentAt,
    replyTo: null,
    reactions: [],
    attachments: [],
    replyToId: unsentAt === null && row.reply_to_id !== null ? Number(row.reply_to_id) : null,
    reactionCount: unsentAt === null ? Number(row.reaction_count) : 0,
    attachmentCount: unsentAt === null ? Number(row.attachment_count) : 0
  }
}

/** The content of a reply preview: the first 200 characters (code points). */
function previewContent (content: string): string {
  if (content.length <= 200) return content
  return Array.from(content).slice(0, 200).join('')
}

/** The preview of a message answered, from its row. */
export function previewOf (id: bigint | number, senderId: number | string, content: string, unsentAt: Date | string | number | null, uid: UserIdOf): ReplyPreview {
  const unsent = unsentAt !== null
  return { id: Number(id), senderId: uid(senderId), content: unsent ? '' : previewContent(content), unsent }
}

/**
 * The conversation key: the smaller and the larger id. String ids are plain ASCII (see
 * STRING_USER_ID), so JavaScript's order is the databases' byte order the CHECK constraint uses.
 */
export function pair (a: UserId, b: UserId): [low: UserId, high: UserId] {
  return a < b ? [a, b] : [b, a]
}

/**
 * Completes messages as `viewer` sees them: the previews of the messages they answer (none of
 * one they have hidden: `replyTo` null), their reactions and their attachments (with URLs signed
 * for this read), in at most three statements whatever their number (none when no message
 * answers one, has reactions or carries files). Read through `db`: a
 * transaction's (a change completes its message before it commits), or the reader's.
 */
export async function complete (reader: MessageReader, messages: StoredMessage[], viewer: UserId, db: Executor = reader.db): Promise<Message[]> {
  const replyIds = [...new Set(messages.flatMap((message) => message.replyToId === null ? [] : [message.replyToId]))]
  const reacted = messages.filter((message) => message.reactionCount > 0).map((message) => message.id)
  const previews = new Map<number, ReplyPreview>()
  for (const ids of batches(replyIds, IN_BATCH)) {
    const rows = await db.query<{ id: bigint | number, sender_id: number | string, content: string, unsent_at: Date | null }>(sql`
      SELECT id, sender_id, content, unsent_at FROM dm_message WHERE id IN (${join(ids)}) AND ${visibleTo(viewer)}`)
    for (const row of rows) previews.set(Number(row.id), previewOf(row.id, row.sender_id, row.content, row.unsent_at, reader.uid))
  }
  const reactions = new Map<number, Reaction[]>()
  for (const ids of batches(reacted, IN_BATCH)) {
    const rows = await db.query<{ message_id: bigint | number, emoji: string, count: bigint | number, me: bigint | number }>(sql`
      SELECT message_id, ${reader.dialect.asText(raw('emoji'))} AS emoji, COUNT(*) AS count, MIN(id) AS first_id, SUM(CASE WHEN user_id = ${viewer} THEN 1 ELSE 0 END) AS me
      FROM dm_reaction WHERE message_id IN (${join(ids)})
      GROUP BY message_id, emoji ORDER BY message_id, first_id`)
    for (const row of rows) {
      const id = Number(row.message_id)
      let list = reactions.get(id)
      if (list === undefined) reactions.set(id, list = [])
      list.push({ emoji: row.emoji, count: Number(row.count), me: Number(row.me) > 0 })
    }
  }
  const attachments = await attachmentsOf(reader, messages.filter((message) => message.attachmentCount > 0).map((message) => message.id), db)
  return messages.map(({ replyToId, reactionCount, attachmentCount, ...message }) => ({
    ...message,
    replyTo: replyToId === null ? null : previews.get(replyToId) ?? null,
    reactions: reactionCount === 0 ? [] : reactions.get(message.id) ?? [],
    attachments: attachmentCount === 0 ? [] : attachments.get(message.id) ?? []
  }))
}

/** The attachments of messages `ids`, in their order, with URLs signed now: one statement per IN_BATCH messages. */
async function attachmentsOf (reader: MessageReader, ids: number[], db: Executor): Promise<Map<number, Attachment[]>> {
  const found = new Map<number, Attachment[]>()
  const urls = reader.attachmentUrls
  const expires = urls.expiry(reader.options.attachmentUrlTtl)
  for (const batch of batches(ids, IN_BATCH)) {
    const rows = await db.query<AttachmentRow>(sql`
      SELECT id, message_id, name, content_type, size, width, height, thumbnail
      FROM dm_attachment WHERE message_id IN (${join(batch)}) ORDER BY message_id, position`)
    for (const row of rows) {
      const messageId = Number(row.message_id)
      let list = found.get(messageId)
      if (list === undefined) found.set(messageId, list = [])
      list.push({
        id: row.id,
        name: row.name,
        contentType: row.content_type,
        size: Number(row.size),
        width: row.width === null ? null : Number(row.width),
        height: row.height === null ? null : Number(row.height),
        url: urls.path(row.id, 'file', expires),
        thumbnailUrl: Number(row.thumbnail) === 1 ? urls.path(row.id, 'thumbnail', expires) : null
      })
    }
  }
  return found
}

/** An attachment row as a page reads it. */
interface AttachmentRow {
  id: string
  message_id: bigint | number
  name: string
  content_type: string
  size: bigint | number
  width: bigint | number | null
  height: bigint | number | null
  thumbnail: Flag
}

/** The attachments of message `id`, with URLs signed now. */
export async function attachmentsOfMessage (reader: MessageReader, id: number, db: Executor = reader.db): Promise<Attachment[]> {
  return (await attachmentsOf(reader, [id], db)).get(id) ?? []
}

/** One stored message as `viewer` sees it (see {@link complete}). */
export async function completeOne (reader: MessageReader, message: StoredMessage, viewer: UserId, db: Executor = reader.db): Promise<Message> {
  return (await complete(reader, [message], viewer, db))[0] as Message
}
