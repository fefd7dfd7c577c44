/**
 * The plugin's tables, declared once. Everything that names a table or a column derives from
 * this declaration: the Prisma models the `schema` command writes into a host's schema (and the
 * project's own schemas, see schema/prisma.ts), the tables and columns the start-up check looks
 * for, the columns a message is read from, and the list of the plugin's tables.
 *
 * Why code rather than a models file: the models differ by database (SQLite autoincrements only
 * an INTEGER key) and by the host (integer or string user ids, with the native type of its
 * user id, relating to its user model and id field, whatever their names). In code each of
 * those is one rule applied when the models are written, where a models file needed rewriting
 * by regular expressions; and the plugin checks at start-up exactly the tables it writes.
 *
 * Pure data: this module imports nothing, so that a script can load an earlier version of it
 * (the migration script compares the models before and after a change).
 */

/**
 * What a column holds, and so its Prisma type on each database:
 * - `serial`: an autoincrementing 64-bit id (`BigInt`; `Int` on SQLite, whose 64-bit rowid alias
 *   is the only key it autoincrements);
 * - `serialRef`: a reference to a `serial` id (the same type);
 * - `userId`: a host user id (`Int`, or `String` with string user ids, with the host id's
 *   native type when it has one);
 * - `int`, `text`, `bool`, `time`: `Int`, `String`, `Boolean`, `DateTime`.
 */
export type ColumnKind = 'serial' | 'serialRef' | 'userId' | 'int' | 'text' | 'bool' | 'time'

/** A column: its field in the Prisma model and its name in the database. */
export interface Column {
  readonly field: string
  /** The database column (`@map`); the field's own name when absent. */
  readonly column?: string
  readonly kind: ColumnKind
  readonly optional?: boolean
  /** `@id` of a one-column key. */
  readonly id?: boolean
  readonly default?: 'now' | 'autoincrement' | number | boolean
  /** A line or two said in the models (`///`). */
  readonly doc?: string
  /** One of the columns a message is read from (the message table's: see MESSAGE_COLUMNS). */
  readonly read?: true
  /**
   * Text: the most characters it holds, where a database must be told (an indexed text column
   * has a bounded length there); `long`: up to the longest message. Neither: a short text.
   */
  readonly length?: number | 'long'
  /** Text compared by its bytes (a key, an emoji): no two values a collation may hold equal are the same. */
  readonly exact?: true
}

/** A relation field of a model: to another of the plugin's models, or (`model: 'User'`) to the host's user model. */
export interface Relation {
  readonly field: string
  readonly model: string
  readonly name: string
  /** A list of the other side's rows (`Model[]`); otherwise one, optional with `optional`. */
  readonly list?: boolean
  readonly optional?: boolean
  /** The side holding the foreign key: its fields, the referenced fields, and what deleting the other row does. */
  readonly fields?: readonly string[]
  readonly references?: readonly string[]
  readonly onDelete?: 'Cascade' | 'SetNull'
  /** For a relation to the host's user model: the back-relation field the user model gets. */
  readonly back?: { readonly field: string, readonly list: boolean }
}

/** An index or unique constraint: its fields (`desc` sorts one descending) and its name in the database. */
export interface Index {
  readonly kind: 'index' | 'unique' | 'id'
  readonly fields: ReadonlyArray<string | { readonly field: string, readonly desc: true }>
  readonly name?: string
  readonly doc?: string
}

export interface Table {
  /** The Prisma model. */
  readonly model: string
  /** The database table (`@@map`). */
  readonly table: string
  readonly doc: string
  readonly columns: readonly Column[]
  readonly relations: readonly Relation[]
  readonly indexes: readonly Index[]
}

const message: Table = {
  model: 'DirectMessage',
  table: 'dm_message',
  doc: 'One message between two users. Each participant hides it for themselves only\n(deletedBySender / deletedByRecipient); the other participant keeps seeing it.',
  columns: [
    { field: 'id', kind: 'serial', id: true, default: 'autoincrement', read: true },
    { field: 'senderId', column: 'sender_id', kind: 'userId', read: true },
    { field: 'recipientId', column: 'recipient_id', kind: 'userId', read: true },
    { field: 'userLowId', column: 'user_low_id', kind: 'userId', doc: 'The smaller and the larger participant id: one key for the conversation whoever sends,\nso a page of a conversation is a single index range scan.' },
    { field: 'userHighId', column: 'user_high_id', kind: 'userId' },
    { field: 'content', kind: 'text', read: true, length: 'long' },
    { field: 'sentAt', column: 'sent_at', kind: 'time', default: 'now', read: true },
    { field: 'readAt', column: 'read_at', kind: 'time', optional: true, read: true },
    { field: 'deletedBySender', column: 'deleted_by_sender', kind: 'bool', default: false },
    { field: 'deletedByRecipient', column: 'deleted_by_recipient', kind: 'bool', default: false },
    { field: 'idempotencyKey', column: 'idempotency_key', kind: 'text', optional: true, length: 255, exact: true, doc: 'The sender\'s Idempotency-Key, when the send carried one: a retry finds the message it created.' },
    { field: 'editedAt', column: 'edited_at', kind: 'time', optional: true, read: true, doc: 'When the sender last edited it (earlier versions: DirectMessageEdit).' },
    { field: 'unsentAt', column: 'unsent_at', kind: 'time', optional: true, read: true, doc: 'When the sender unsent it: a tombstone for both participants.' },
    { field: 'replyToId', column: 'reply_to_id', kind: 'serialRef', optional: true, read: true, doc: 'The message of the same conversation this one answers.' },
    { field: 'reactionCount', column: 'reaction_count', kind: 'int', default: 0, read: true, doc: 'How many reactions it has (DirectMessageReaction rows): a page reads reactions only when some have.' },
    { field: 'attachmentCount', column: 'attachment_count', kind: 'int', default: 0, read: true, doc: 'How many files it carries (DirectMessageAttachment rows): a page reads attachments only when some have.' }
  ],
  relations: [
    { field: 'sender', model: 'User', name: 'DirectMessageSender', fields: ['senderId'], references: ['id'], onDelete: 'Cascade', back: { field: 'directMessagesSent', list: true } },
    { field: 'recipient', model: 'User', name: 'DirectMessageRecipient', fields: ['recipientId'], references: ['id'], onDelete: 'Cascade', back: { field: 'directMessagesReceived', list: true } },
    { field: 'lastMessageOf', model: 'DirectConversation', name: 'DirectConversationLastMessage', list: true },
    { field: 'replyTo', model: 'DirectMessage', name: 'DirectMessageReply', optional: true, fields: ['replyToId'], references: ['id'], onDelete: 'SetNull' },
    { field: 'replies', model: 'DirectMessage', name: 'DirectMessageReply', list: true },
    { field: 'edits', model: 'DirectMessageEdit', name: 'DirectMessageEdits', list: true },
    { field: 'reactions', model: 'DirectMessageReaction', name: 'DirectMessageReactions', list: true },
    { field: 'attachments', model: 'DirectMessageAttachment', name: 'DirectMessageAttachments', list: true }
  ],
  indexes: [
    { kind: 'unique', fields: ['senderId', 'idempotencyKey'], name: 'dm_message_idempotency_key' },
    { kind: 'index', fields: ['userLowId', 'userHighId', { field: 'id', desc: true }], name: 'dm_message_conversation_idx' },
    { kind: 'index', fields: ['recipientId', 'senderId', 'readAt'], name: 'dm_message_unread_idx' },
    { kind: 'index', fields: ['senderId', 'id'], name: 'dm_message_sender_idx', doc: 'A user\'s messages after a given id, for event streams resuming with Last-Event-ID.' },
    { kind: 'index', fields: ['recipientId', 'id'], name: 'dm_message_recipient_idx' },
    { kind: 'index', fields: ['replyToId'], name: 'dm_message_reply_idx' }
  ]
}

const messageEdit: Table = {
  model: 'DirectMessageEdit',
  table: 'dm_message_edit',
  doc: 'An earlier version of an edited message: its content until `editedAt`, when it was replaced.\nErased when the message is unsent.',
  columns: [
    { field: 'id', kind: 'serial', id: true, default: 'autoincrement' },
    { field: 'messageId', column: 'message_id', kind: 'serialRef' },
    { field: 'content', kind: 'text', length: 'long' },
    { field: 'editedAt', column: 'edited_at', kind: 'time' }
  ],
  relations: [
    { field: 'message', model: 'DirectMessage', name: 'DirectMessageEdits', fields: ['messageId'], references: ['id'], onDelete: 'Cascade' }
  ],
  indexes: [
    { kind: 'index', fields: ['messageId', 'id'], name: 'dm_message_edit_message_idx' }
  ]
}

const reaction: Table = {
  model: 'DirectMessageReaction',
  table: 'dm_reaction',
  doc: '`user` reacted to `message` with `emoji`: one of each per user per message.',
  columns: [
    { field: 'id', kind: 'serial', id: true, default: 'autoincrement' },
    { field: 'messageId', column: 'message_id', kind: 'serialRef' },
    { field: 'userId', column: 'user_id', kind: 'userId' },
    { field: 'emoji', kind: 'text', length: 64, exact: true },
    { field: 'createdAt', column: 'created_at', kind: 'time', default: 'now' }
  ],
  relations: [
    { field: 'message', model: 'DirectMessage', name: 'DirectMessageReactions', fields: ['messageId'], references: ['id'], onDelete: 'Cascade' },
    { field: 'user', model: 'User', name: 'DirectMessageReactionUser', fields: ['userId'], references: ['id'], onDelete: 'Cascade', back: { field: 'directMessageReactions', list: true } }
  ],
  indexes: [
    { kind: 'unique', fields: ['messageId', 'userId', 'emoji'], name: 'dm_reaction_once' },
    { kind: 'index', fields: ['messageId', 'id'], name: 'dm_reaction_message_idx' },
    { kind: 'index', fields: ['userId'], name: 'dm_reaction_user_idx' }
  ]
}

const attachment: Table = {
  model: 'DirectMessageAttachment',
  table: 'dm_attachment',
  doc: 'A file a user uploaded, and, once sent, the message that carries it. Its bytes are in the\nstorage under keys made of its id (never of its name). A row without a message is an upload not\nyet sent (deleted with its bytes after `attachmentUploadTtl`) or one whose message is gone\n(unsent, deleted by both participants, or its sender deleted): its bytes are deleted, then the row.',
  columns: [
    { field: 'id', kind: 'text', id: true, length: 32, doc: 'An opaque id: 26 random lowercase letters and digits.' },
    { field: 'uploaderId', column: 'uploader_id', kind: 'userId', doc: 'The user who uploaded it: the only one who may send it.' },
    { field: 'messageId', column: 'message_id', kind: 'serialRef', optional: true },
    { field: 'position', kind: 'int', default: 0, doc: 'Its place among the message\'s attachments, from 0.' },
    { field: 'name', kind: 'text', length: 255, doc: 'The file name the uploader gave: shown and offered for download, never a path.' },
    { field: 'contentType', column: 'content_type', kind: 'text', length: 255 },
    { field: 'size', kind: 'int', doc: 'Bytes, as declared; checked against the upload when it is sent.' },
    { field: 'width', kind: 'int', optional: true, doc: 'An image\'s width and height in pixels, as displayed; null for other files.' },
    { field: 'height', kind: 'int', optional: true },
    { field: 'thumbnail', kind: 'bool', default: false, doc: 'Whether a thumbnail was made (images).' },
    { field: 'createdAt', column: 'created_at', kind: 'time', default: 'now' },
    { field: 'checkedAt', column: 'checked_at', kind: 'time', optional: true, doc: 'When its bytes were checked (size, type, scan) and became the file a message may carry.' },
    { field: 'attachedAt', column: 'attached_at', kind: 'time', optional: true, doc: 'When it was sent: an attachment is sent once.' }
  ],
  relations: [
    { field: 'message', model: 'DirectMessage', name: 'DirectMessageAttachments', optional: true, fields: ['messageId'], references: ['id'], onDelete: 'SetNull' }
  ],
  indexes: [
    { kind: 'index', fields: ['messageId', 'position'], name: 'dm_attachment_message_idx', doc: 'A page\'s attachments in one range scan per message; those without a message (uploads, and files to delete) in one.' }
  ]
}

const conversation: Table = {
  model: 'DirectConversation',
  table: 'dm_conversation',
  doc: 'One row per participant of a conversation (owner, partner): what the owner\'s conversation\nlist and unread counts read, kept in the same transaction as the message writes.',
  columns: [
    { field: 'ownerId', column: 'owner_id', kind: 'userId' },
    { field: 'partnerId', column: 'partner_id', kind: 'userId' },
    { field: 'lastMessageId', column: 'last_message_id', kind: 'serialRef', optional: true, doc: 'The newest message the owner has not hidden; null when the owner has hidden them all.' },
    { field: 'unreadCount', column: 'unread_count', kind: 'int', default: 0, doc: 'Inbound messages the owner has neither read nor hidden.' },
    { field: 'muted', kind: 'bool', default: false, doc: 'The owner muted it: still counted (`count`), not in `unmuted_count`; sends say `recipientMuted`.' },
    { field: 'archived', kind: 'bool', default: false, doc: 'The owner archived it: listed by `?archived=true` only, until a new message arrives.' }
  ],
  relations: [
    { field: 'owner', model: 'User', name: 'DirectConversationOwner', fields: ['ownerId'], references: ['id'], onDelete: 'Cascade', back: { field: 'directConversations', list: true } },
    { field: 'partner', model: 'User', name: 'DirectConversationPartner', fields: ['partnerId'], references: ['id'], onDelete: 'Cascade', back: { field: 'directConversationsWith', list: true } },
    { field: 'lastMessage', model: 'DirectMessage', name: 'DirectConversationLastMessage', optional: true, fields: ['lastMessageId'], references: ['id'], onDelete: 'SetNull' }
  ],
  indexes: [
    { kind: 'id', fields: ['ownerId', 'partnerId'] },
    { kind: 'index', fields: ['ownerId', { field: 'lastMessageId', desc: true }], name: 'dm_conversation_recent_idx' },
    { kind: 'index', fields: ['ownerId', 'archived', { field: 'lastMessageId', desc: true }], name: 'dm_conversation_list_idx', doc: 'The conversation list, archived or not: one range scan whichever is asked for.' },
    { kind: 'index', fields: ['ownerId', 'unreadCount'], name: 'dm_conversation_unread_idx' },
    { kind: 'index', fields: ['partnerId'], name: 'dm_conversation_partner_idx' },
    { kind: 'index', fields: ['lastMessageId'], name: 'dm_conversation_last_message_idx' }
  ]
}

const user: Table = {
  model: 'DirectMessagesUser',
  table: 'dm_user',
  doc: 'One row per user who has sent or received a message. Every write locks the rows of the users\nit concerns before it inserts a message or a change (DirectMessageChange), so that each user\'s\nmessages and changes get ids in the order they commit.',
  columns: [
    { field: 'userId', column: 'user_id', kind: 'userId', id: true },
    { field: 'lastSeenAt', column: 'last_seen_at', kind: 'time', optional: true, doc: 'When the user\'s last event stream closed (presence; null: never).' }
  ],
  relations: [
    { field: 'user', model: 'User', name: 'DirectMessagesUser', fields: ['userId'], references: ['id'], onDelete: 'Cascade', back: { field: 'directMessagesUser', list: false } },
    { field: 'changes', model: 'DirectMessageChange', name: 'DirectMessageChanges', list: true },
    { field: 'presence', model: 'DirectMessagePresence', name: 'DirectMessagePresence', list: true }
  ],
  indexes: []
}

const change: Table = {
  model: 'DirectMessageChange',
  table: 'dm_change',
  doc: 'One change a user\'s event streams replay (the change log): a new message, a change to one\n(edit, unsend, reaction, read), or the user\'s own delete of a message or of a conversation.\nIds are drawn while the user\'s dm_user row is locked, so each user\'s changes get ids in the\norder they commit: a stream resuming after change N can never miss one below N. Kept for the\n`changeRetention` option\'s time (each user\'s newest is always kept).',
  columns: [
    { field: 'id', kind: 'serial', id: true, default: 'autoincrement' },
    { field: 'userId', column: 'user_id', kind: 'userId' },
    { field: 'kind', kind: 'int', doc: '1 new message, 2 message changed, 3 message read, 4 message deleted, 5 conversation deleted.' },
    { field: 'messageId', column: 'message_id', kind: 'serialRef', optional: true },
    { field: 'partnerId', column: 'partner_id', kind: 'userId', optional: true },
    { field: 'createdAt', column: 'created_at', kind: 'time', default: 'now' }
  ],
  relations: [
    { field: 'user', model: 'DirectMessagesUser', name: 'DirectMessageChanges', fields: ['userId'], references: ['userId'], onDelete: 'Cascade' }
  ],
  indexes: [
    { kind: 'index', fields: ['userId', 'id'], name: 'dm_change_user_idx', doc: 'A user\'s changes after a given id: what a stream resuming with Last-Event-ID reads.' }
  ]
}

const block: Table = {
  model: 'DirectMessageBlock',
  table: 'dm_block',
  doc: '`blocker` blocks `blocked`: the blocked user cannot message the blocker. History stays.',
  columns: [
    { field: 'id', kind: 'serial', id: true, default: 'autoincrement' },
    { field: 'blockerId', column: 'blocker_id', kind: 'userId' },
    { field: 'blockedId', column: 'blocked_id', kind: 'userId' },
    { field: 'createdAt', column: 'created_at', kind: 'time', default: 'now' }
  ],
  relations: [
    { field: 'blocker', model: 'User', name: 'DirectMessageBlocker', fields: ['blockerId'], references: ['id'], onDelete: 'Cascade', back: { field: 'directMessageBlocks', list: true } },
    { field: 'blocked', model: 'User', name: 'DirectMessageBlocked', fields: ['blockedId'], references: ['id'], onDelete: 'Cascade', back: { field: 'directMessageBlockedBy', list: true } }
  ],
  indexes: [
    { kind: 'unique', fields: ['blockerId', 'blockedId'], name: 'dm_block_pair' },
    { kind: 'index', fields: ['blockerId', { field: 'id', desc: true }], name: 'dm_block_recent_idx' },
    { kind: 'index', fields: ['blockedId'], name: 'dm_block_blocked_idx' }
  ]
}

const presence: Table = {
  model: 'DirectMessagePresence',
  table: 'dm_presence',
  doc: 'Presence: `user` holds event streams on instance `instanceId`, which refreshes `seenAt` (one\nstatement per interval for all its users). The user is online while a row is younger than\n`presenceTimeout`; the row goes when their last stream there closes, or, after an instance\ndied, when another instance finds it expired (through dm_presence_seen_idx: most sweeps find none).',
  columns: [
    { field: 'userId', column: 'user_id', kind: 'userId' },
    { field: 'instanceId', column: 'instance_id', kind: 'text', length: 64 },
    { field: 'seenAt', column: 'seen_at', kind: 'time' }
  ],
  relations: [
    { field: 'user', model: 'DirectMessagesUser', name: 'DirectMessagePresence', fields: ['userId'], references: ['userId'], onDelete: 'Cascade' }
  ],
  indexes: [
    { kind: 'id', fields: ['userId', 'instanceId'] },
    { kind: 'index', fields: ['instanceId'], name: 'dm_presence_instance_idx' },
    { kind: 'index', fields: ['seenAt'], name: 'dm_presence_seen_idx' }
  ]
}

/** The plugin's tables, in the order their models are written. */
export const TABLES = { message, messageEdit, reaction, conversation, user, change, block, presence, attachment } as const

/**
 * The back-relation fields the host's user model gets, in the order they were added (the
 * `schema` command writes them in this order, so that a host's schema stays as it was written).
 */
export const BACK_RELATION_ORDER: readonly string[] = [
  'DirectMessageSender', 'DirectMessageRecipient', 'DirectConversationOwner', 'DirectConversationPartner',
  'DirectMessagesUser', 'DirectMessageBlocker', 'DirectMessageBlocked', 'DirectMessageReactionUser'
]

/** A table's column as the database names it. */
export function columnName (column: Column): string {
  return column.column ?? column.field
}

/** The plugin's tables, as the database names them. */
export const TABLE_NAMES: readonly string[] = Object.values(TABLES).map((table) => table.table)

/** The columns of every table, by table, as the database names them. */
export const TABLE_COLUMNS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.values(TABLES).map((table) => [table.table, table.columns.map(columnName)]))

/** The columns holding a host user id, by table: their type follows the host's. */
export const USER_ID_COLUMNS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.values(TABLES).flatMap((table) => {
    const columns = table.columns.filter((column) => column.kind === 'userId').map(columnName)
    return columns.length === 0 ? [] : [[table.table, columns]]
  }))

/** The columns a message is read from, in the order statements name them. */
export const MESSAGE_COLUMNS: readonly string[] = TABLES.message.columns.filter((column) => column.read === true).map(columnName)

/** The text columns compared by their bytes (Column.exact), by table. */
export const EXACT_COLUMNS: ReadonlyArray<{ table: string, column: string }> = Object.values(TABLES)
  .flatMap((table) => table.columns.filter((column) => column.exact === true).map((column) => ({ table: table.table, column: columnName(column) })))
