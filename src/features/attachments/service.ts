/**
 * Attachments: uploads declared by their sender, checked when first sent, carried by a message,
 * read through signed URLs, and deleted with their bytes when nothing may read them any more.
 *
 * The life of one: `create` stores its row and answers where to upload the bytes (`u/<id>` in the
 * storage); the first send that names it checks the bytes (size, type sniffed from them, an
 * image's size and thumbnail `t/<id>`, the host's scan) and moves them to `f/<id>`, where no
 * upload URL reaches; the send's transaction then claims it for the message (once: a claimed row
 * is never claimed again). An unsend, a message both participants deleted, a deleted message
 * (its sender or recipient deleted) leave the row without a message: the sweep deletes the bytes,
 * then the row, as it does for uploads never sent after `attachmentUploadTtl`.
 */
import { randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { Context } from '../../core/context.js'
import type { Executor } from '../../db/database.js'
import { dateOf } from '../../db/database.js'
import { bool, join, raw, sql, visibleTo } from '../../db/sql.js'
import {
  AlreadyUploaded, AttachmentNotFound, AttachmentRejected, AttachmentTooLarge, AttachmentTypeNotAllowed, IncompleteUpload, InvalidAttachment, InvalidUpload, StorageUnavailable
} from '../../domain/errors.js'
import type { AttachmentUpload, UserId } from '../../domain/types.js'
import { checkName, isImageType, parseMediaType, processImage, sniff, SNIFF_BYTES, typeAgrees, typeAllowed, contentDisposition } from '../../attachments/files.js'
import type { AttachmentStorage } from '../../attachments/storage.js'
import type { UrlPurpose } from '../../attachments/urls.js'

/** Most attachments one message carries. */
export const MAX_ATTACHMENTS = 10

/** An attachment id: 26 characters of RFC 4648 base32, lowercase (128 random bits). */
export const ATTACHMENT_ID = /^[a-z2-7]{26}$/

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** A new attachment id. */
function newId (): string {
  const bytes = randomBytes(16)
  let id = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      id += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return id + BASE32[(value << (5 - bits)) & 31]
}

/** The storage keys of attachment `id`: as uploaded, as checked, its thumbnail. */
export const keys = {
  upload: (id: string) => `u/${id}`,
  file: (id: string) => `f/${id}`,
  thumbnail: (id: string) => `t/${id}`,
  all: (id: string) => [`u/${id}`, `f/${id}`, `t/${id}`]
}

/** An attachment row, as the checks read it. */
interface UploadRow {
  id: string
  uploader_id: number | string
  name: string
  content_type: string
  size: bigint | number
  created_at: Date | string | number
  checked_at: Date | string | number | null
  attached_at: Date | string | number | null
  message_id: bigint | number | null
  thumbnail: boolean | number | bigint
}

const UPLOAD_COLUMNS = sql`id, uploader_id, name, content_type, size, created_at, checked_at, attached_at, message_id, thumbnail`

/** How many detached attachments one sweep statement takes. */
const SWEEP_BATCH = 200

/** What the plugin's own routes need to serve a file: where its bytes are and how to serve them. */
export interface ServedFile {
  key: string
  contentType: string
  disposition: string
  size: number | null
}

export class Attachments {
  readonly #ctx: Context
  readonly #storage: AttachmentStorage
  #timer: NodeJS.Timeout | null = null
  #sweeping: Promise<number> | null = null

  constructor (ctx: Context) {
    this.#ctx = ctx
    this.#storage = ctx.options.storage
  }

  /** Runs a storage operation: a failure of the storage is a 503 (logged), never a 500. */
  async #stored<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (code === 'EEXIST' || code === 'ETOOLARGE') throw err
      this.#ctx.log.warn({ err }, `directMessages: the ${this.#storage.name} storage failed to ${what}`)
      throw new StorageUnavailable()
    }
  }

  /** `userId` declares an upload: answers its id and where to send its bytes. */
  async create (userId: UserId, declared: { name: unknown, contentType: unknown, size: unknown }): Promise<AttachmentUpload> {
    const { options, attachmentUrls } = this.#ctx
    const name = checkName(declared.name)
    if (name === null) throw new InvalidUpload('name must be a file name of 1 to 255 characters, without control characters')
    const contentType = parseMediaType(declared.contentType)
    if (contentType === null) throw new InvalidUpload('content_type must be a media type, such as image/png')
    if (!typeAllowed(contentType, options.attachmentTypes)) throw new AttachmentTypeNotAllowed(contentType)
    const size = declared.size
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) throw new InvalidUpload('size must be a positive integer (bytes)')
    if (size > options.maxAttachmentSize) throw new AttachmentTooLarge(`Attachments may be at most ${options.maxAttachmentSize} bytes`)
    const id = newId()
    const now = new Date()
    const expires = attachmentUrls.expiry(options.attachmentUrlTtl, now.getTime())
    const expiresAt = new Date(expires * 1000)
    // The storage first: when it is down, nothing is stored.
    const direct = await this.#stored('presign an upload', () => this.#storage.uploadRequest(keys.upload(id), { contentType, size, expiresAt }))
    await this.#ctx.db.execute(sql`
      INSERT INTO dm_attachment (id, uploader_id, name, content_type, size, created_at)
      VALUES (${id}, ${userId}, ${name}, ${contentType}, ${size}, ${this.#ctx.dialect.time(now)})`)
    const upload = direct ?? { method: 'PUT' as const, url: attachmentUrls.path(id, 'upload', expires), headers: { 'content-type': contentType } }
    return { id, upload, expiresAt }
  }

  /**
   * The bytes of upload `id` arrive on the plugin's own route (local storage), its URL checked:
   * they are written as they come, never more than declared (413); fewer are refused (400).
   * A second upload is refused (409).
   */
  async receive (id: string, body: Readable, contentType: string | undefined, contentLength: number | null): Promise<void> {
    const row = await this.#row(id)
    if (row === null || row.checked_at !== null || row.attached_at !== null) {
      body.resume()
      if (row === null) throw new AttachmentNotFound()
      throw new AlreadyUploaded()
    }
    const size = Number(row.size)
    if (parseMediaType(contentType) !== row.content_type) {
      body.resume()
      throw new InvalidUpload(`the upload must carry Content-Type: ${row.content_type}, as declared`)
    }
    if (contentLength !== null && contentLength > size) {
      body.resume()
      throw new AttachmentTooLarge(`This upload declared ${size} bytes`)
    }
    let written: number
    try {
      written = await this.#stored('write an upload', () => this.#storage.write(keys.upload(id), body, { contentType: row.content_type, limit: size }))
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (code === 'ETOOLARGE') throw new AttachmentTooLarge(`This upload declared ${size} bytes`)
      if (code === 'EEXIST') throw new AlreadyUploaded()
      throw err
    }
    if (written < size) {
      await this.#stored('delete an incomplete upload', () => this.#storage.delete([keys.upload(id)]))
      throw new IncompleteUpload(written, size)
    }
  }

  /**
   * Checks the attachments a send of `sender` names, before its transaction: each must be an
   * upload of theirs, not sent, not expired, and its bytes what was declared (checked once:
   * then moved where no upload URL reaches). Throws what is wrong with the first that is not.
   */
  async prepare (sender: UserId, ids: unknown): Promise<string[]> {
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > MAX_ATTACHMENTS) {
      throw new InvalidAttachment(`attachments must be a list of 1 to ${MAX_ATTACHMENTS} attachment ids`)
    }
    for (const id of ids) {
      if (typeof id !== 'string' || !ATTACHMENT_ID.test(id)) throw new InvalidAttachment(`${JSON.stringify(typeof id === 'string' ? id.slice(0, 40) : id) ?? String(id)} is not an attachment id`)
    }
    const wanted = ids as string[]
    if (new Set(wanted).size !== wanted.length) throw new InvalidAttachment('attachments names the same attachment twice')
    const rows = await this.#ctx.db.query<UploadRow>(sql`SELECT ${UPLOAD_COLUMNS} FROM dm_attachment WHERE id IN (${join(wanted)})`)
    const byId = new Map(rows.map((row) => [row.id, row]))
    const oldest = Date.now() - this.#ctx.options.attachmentUploadTtl
    for (const id of wanted) {
      const row = byId.get(id)
      // Another user's upload reads exactly as an unknown one.
      if (row === undefined || this.#ctx.uid(row.uploader_id) !== sender) throw new InvalidAttachment(`attachment ${id} is not an upload of yours`)
      if (row.attached_at !== null) throw new InvalidAttachment(`attachment ${id} was sent already`)
      if ((dateOf(row.created_at) as Date).getTime() <= oldest) throw new InvalidAttachment(`attachment ${id} has expired; upload the file again`)
    }
    for (const id of wanted) {
      const row = byId.get(id) as UploadRow
      if (row.checked_at === null) await this.#check(row)
    }
    return wanted
  }

  /** Checks the bytes of an upload sent for the first time, and makes them the attachment's file. */
  async #check (row: UploadRow): Promise<void> {
    const { options } = this.#ctx
    const storage = this.#storage
    const id = row.id
    const declared = Number(row.size)
    const upload = keys.upload(id)
    const size = await this.#stored('read an upload', () => storage.size(upload))
    if (size === null) {
      // Checked meanwhile by a concurrent send of the same upload: its file is there.
      if ((await this.#row(id))?.checked_at != null) return
      throw new InvalidAttachment(`attachment ${id} was not uploaded`)
    }
    if (size !== declared) {
      await this.#stored('delete an upload', () => storage.delete([upload]))
      throw new InvalidAttachment(`attachment ${id} holds ${size} bytes, not the ${declared} declared; upload it again`)
    }
    const head = await this.#stored('read an upload', async () => await readAll(await storage.read(upload, { start: 0, end: Math.min(size, SNIFF_BYTES) - 1 })))
    const sniffed = await sniff(head)
    if (!typeAgrees(row.content_type, sniffed, head) || (sniffed !== undefined && !typeAllowed(sniffed, options.attachmentTypes) && !typeAllowed(row.content_type, options.attachmentTypes))) {
      await this.discard([id])
      throw new InvalidAttachment(`attachment ${id} is not ${row.content_type}${sniffed === undefined ? '' : ` (its bytes are ${sniffed})`}; it was deleted`)
    }
    let image: { width: number, height: number } | null = null
    if (isImageType(row.content_type)) {
      const bytes = await this.#stored('read an upload', async () => await readAll(await storage.read(upload)))
      const processed = await processImage(bytes)
      if (processed === null) {
        await this.discard([id])
        throw new InvalidAttachment(`attachment ${id} could not be read as an image; it was deleted`)
      }
      image = processed
      const thumbnail = keys.thumbnail(id)
      await this.#stored('write a thumbnail', async () => {
        await storage.delete([thumbnail])
        await storage.write(thumbnail, processed.thumbnail, { contentType: processed.thumbnailType, limit: processed.thumbnail.length })
      })
    }
    if (options.scanAttachment !== null) {
      const verdict = await options.scanAttachment({
        id,
        uploaderId: this.#ctx.uid(row.uploader_id),
        name: row.name,
        contentType: row.content_type,
        size,
        read: async () => {
          const stream = await storage.read(upload)
          if (stream === null) throw new Error(`attachment ${id}: its upload is gone`)
          return stream
        }
      })
      if (verdict !== true) {
        await this.discard([id])
        throw new AttachmentRejected(typeof verdict === 'string' && verdict !== '' ? verdict : `attachment ${id} was refused`)
      }
    }
    await this.#stored('move an upload', async () => {
      try {
        await storage.move(upload, keys.file(id))
      } catch (err) {
        // A concurrent send of the same upload moved it first.
        if (await storage.size(keys.file(id)) === null) throw err
      }
    })
    await this.#ctx.db.execute(sql`
      UPDATE dm_attachment SET checked_at = ${this.#ctx.dialect.time(new Date())}, width = ${image?.width ?? null}, height = ${image?.height ?? null},
        thumbnail = ${bool(image !== null)}
      WHERE id = ${id}`)
  }

  /**
   * Claims checked attachments `ids` of `sender` for message `messageId`, in the send's
   * transaction, in their order; throws (the send rolls back) when one of them was claimed meanwhile.
   */
  async claim (tx: Executor, sender: UserId, messageId: number, ids: readonly string[]): Promise<void> {
    const oldest = new Date(Date.now() - this.#ctx.options.attachmentUploadTtl)
    // Positions as literals: a bare parameter would have no type for the column (PostgreSQL).
    const position = sql`CASE id ${join(ids.map((id, index) => sql`WHEN ${id} THEN ${raw(String(index))}`), ' ')} END`
    const claimed = await tx.execute(sql`
      UPDATE dm_attachment SET message_id = ${messageId}, position = ${position}, attached_at = ${this.#ctx.dialect.time(new Date())}
      WHERE id IN (${join([...ids])}) AND uploader_id = ${sender} AND message_id IS NULL AND attached_at IS NULL
        AND checked_at IS NOT NULL AND created_at > ${this.#ctx.dialect.time(oldest)}`)
    if (claimed !== ids.length) throw new InvalidAttachment('an attachment of this send was sent meanwhile by another send')
    await tx.execute(sql`UPDATE dm_message SET attachment_count = ${ids.length} WHERE id = ${messageId}`)
  }

  /**
   * Leaves the attachments of message `messageId` without their message (unsent, or deleted by
   * both participants: nobody may read them), in the transaction of that change; answers how many.
   * Their bytes go with the next sweep (see {@link sweep}).
   */
  async detach (tx: Executor, messageId: number): Promise<number> {
    return await tx.execute(sql`UPDATE dm_attachment SET message_id = NULL WHERE message_id = ${messageId}`)
  }

  /** Deletes the bytes, then the rows, of uploads `ids` that no message carries. */
  async discard (ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return
    await this.#stored('delete files', () => this.#storage.delete(ids.flatMap(keys.all)))
    await this.#ctx.db.execute(sql`DELETE FROM dm_attachment WHERE id IN (${join([...ids])}) AND message_id IS NULL`)
  }

  /**
   * Deletes what nobody may read any more: attachments left without their message, and uploads
   * never sent after `attachmentUploadTtl` (a send claims an upload only younger than that, so
   * none is claimed once the sweep may take it; a margin of half the time, at most a minute,
   * covers clocks of instances that differ). Their bytes first, then their rows: a storage that
   * fails leaves the rows for the next sweep, never an object without its row. Answers how many
   * it deleted. One sweep at a time on this instance; instances may sweep the same rows.
   */
  async sweep (): Promise<number> {
    if (this.#sweeping !== null) return await this.#sweeping
    this.#sweeping = (async () => {
      let deleted = 0
      const ttl = this.#ctx.options.attachmentUploadTtl
      const cutoff = new Date(Date.now() - ttl - Math.min(ttl / 2, 60_000))
      for (;;) {
        const rows = await this.#ctx.db.query<{ id: string }>(sql`
          SELECT id FROM dm_attachment WHERE message_id IS NULL AND (attached_at IS NOT NULL OR created_at < ${this.#ctx.dialect.time(cutoff)})
          LIMIT ${SWEEP_BATCH}`)
        if (rows.length === 0) return deleted
        await this.discard(rows.map((row) => row.id))
        deleted += rows.length
        if (rows.length < SWEEP_BATCH) return deleted
      }
    })()
    try {
      return await this.#sweeping
    } finally {
      this.#sweeping = null
    }
  }

  /** Sweeps after a change that left attachments without their message; a failure is logged (the next sweep retries). */
  async sweepNow (): Promise<void> {
    try {
      await this.sweep()
    } catch (err) {
      this.#ctx.log.warn({ err }, 'directMessages: deleting the files of unsent or deleted messages failed; the next sweep retries')
    }
  }

  /** Sweeps every `interval` milliseconds until {@link stop}. */
  start (interval: number): void {
    this.#timer = setInterval(() => { this.sweepNow().catch(() => {}) }, interval)
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    await this.#sweeping?.catch(() => {})
  }

  /** Where `viewer` reads attachment `id` now: a signed URL, if they may see its message; else 404. */
  async url (viewer: UserId, id: unknown, purpose: 'file' | 'thumbnail' = 'file'): Promise<string> {
    if (typeof id !== 'string' || !ATTACHMENT_ID.test(id)) throw new AttachmentNotFound()
    const rows = await this.#ctx.db.query<{ thumbnail: boolean | number | bigint }>(sql`
      SELECT a.thumbnail FROM dm_attachment a JOIN dm_message m ON m.id = a.message_id
      WHERE a.id = ${id} AND m.unsent_at IS NULL AND ${visibleToMessage(viewer)}`)
    const row = rows[0]
    if (row === undefined || (purpose === 'thumbnail' && Number(row.thumbnail) !== 1)) throw new AttachmentNotFound()
    const { attachmentUrls, options } = this.#ctx
    return attachmentUrls.path(id, purpose, attachmentUrls.expiry(options.attachmentUrlTtl))
  }

  /**
   * What a signed URL of `purpose` for `id` reads (its signature already checked): the file of
   * a message, or its thumbnail; null once it is no message's (unsent, deleted by both).
   * With a storage that serves files itself, `redirect` is where to send the client.
   */
  async served (id: string, purpose: Exclude<UrlPurpose, 'upload'>): Promise<(ServedFile & { redirect: string | null }) | null> {
    const row = await this.#row(id)
    if (row === null || row.message_id === null || (purpose === 'thumbnail' && Number(row.thumbnail) !== 1)) return null
    const key = purpose === 'file' ? keys.file(id) : keys.thumbnail(id)
    const contentType = purpose === 'file' ? row.content_type : 'image/webp'
    const disposition = purpose === 'file' ? contentDisposition(row.name, row.content_type) : 'inline'
    const { attachmentUrls, options } = this.#ctx
    const expiresAt = new Date(attachmentUrls.expiry(options.attachmentUrlTtl) * 1000)
    const redirect = await this.#stored('presign a download', () => this.#storage.downloadUrl(key, { contentType, disposition, expiresAt }))
    return { key, contentType, disposition, size: purpose === 'file' ? Number(row.size) : null, redirect }
  }

  /** The storage, for the routes that serve its bytes. */
  get storage (): AttachmentStorage {
    return this.#storage
  }

  async #row (id: string): Promise<UploadRow | null> {
    const rows = await this.#ctx.db.query<UploadRow>(sql`SELECT ${UPLOAD_COLUMNS} FROM dm_attachment WHERE id = ${id}`)
    return rows[0] ?? null
  }
}

/** The message `m` is one `viewer` sees. */
function visibleToMessage (viewer: UserId): ReturnType<typeof visibleTo> {
  return sql`((m.sender_id = ${viewer} AND m.deleted_by_sender = false) OR (m.recipient_id = ${viewer} AND m.deleted_by_recipient = false))`
}

/** The whole of a stream (an upload's head, or an image: at most `maxAttachmentSize`). */
async function readAll (stream: Readable | null): Promise<Buffer> {
  if (stream === null) throw Object.assign(new Error('the object is gone'), { code: 'ENOENT' })
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** The service API's operations on attachments (see DirectMessagesService). */
export function attachmentsService (attachments: Attachments) {
  return {
    async createAttachment (userId: UserId, declared: { name: string, contentType: string, size: number }): Promise<AttachmentUpload> {
      return await attachments.create(userId, declared)
    },
    async attachmentUrl (userId: UserId, attachmentId: string, variant: 'file' | 'thumbnail' = 'file'): Promise<string> {
      return await attachments.url(userId, attachmentId, variant)
    }
  }
}
