/**
 * Where attachments' bytes are kept: one small interface, two storages (local files, the
 * default; any S3-compatible service). The plugin names every object by a key of its own making
 * (`<area>/<attachment id>`, ASCII letters, digits, `-`, `_` and one `/`): a file's name is never
 * part of a key, so no name a client sends can become a path.
 *
 * The areas: `u/` an upload as the client sent it, `f/` the file of a sent message (moved there
 * once checked, so that no upload URL can change it afterwards), `t/` an image's thumbnail.
 */
import type { Readable } from 'node:stream'

/** How a client sends an upload's bytes: the request to make. */
export interface UploadRequest {
  method: 'PUT'
  url: string
  /** Headers the request must carry exactly (they are part of its signature). */
  headers: Record<string, string>
}

/** A byte range of an object, both ends included (as HTTP's `Range: bytes=start-end`). */
export interface ByteRange {
  start: number
  end: number
}

/** What {@link AttachmentStorage.downloadUrl} needs to say how the bytes are served. */
export interface DownloadOptions {
  /** The stored type, served as the response's Content-Type. */
  contentType: string
  /** The response's Content-Disposition (`inline`, or `attachment; filename*=...`). */
  disposition: string
  expiresAt: Date
}

/**
 * A storage of attachments. Every method answers once the storage has done it; a storage that
 * cannot be reached rejects (the plugin answers 503 and stores nothing). Absent objects are not
 * an error where the method says so.
 */
export interface AttachmentStorage {
  /** A name for logs and error messages (`local`, `s3`). */
  readonly name: string
  /**
   * Where a client sends the bytes of upload `key` directly (a presigned request), refusing any
   * other size or type than declared; null when the plugin's own upload route receives them.
   */
  uploadRequest: (key: string, upload: { contentType: string, size: number, expiresAt: Date }) => Promise<UploadRequest | null>
  /** A URL serving `key` directly until `expiresAt` (presigned); null when the plugin's own route serves it. */
  downloadUrl: (key: string, download: DownloadOptions) => Promise<string | null>
  /**
   * Writes `key` from `body`, replacing nothing: rejects with an error whose `code` is
   * `'EEXIST'` when `key` exists, and with one whose `code` is `'ETOOLARGE'` when `body` holds
   * more than `limit` bytes (nothing is then kept). Answers the number of bytes written.
   */
  write: (key: string, body: Readable | Buffer, options: { contentType: string, limit: number }) => Promise<number>
  /** The bytes of `key`, or of `range` of them; null when absent. */
  read: (key: string, range?: ByteRange) => Promise<Readable | null>
  /** The size of `key` in bytes; null when absent. */
  size: (key: string) => Promise<number | null>
  /** Moves `from` to `to` (replacing `to`); rejects when `from` is absent. */
  move: (from: string, to: string) => Promise<void>
  /** Deletes `keys`; absent ones are not an error. */
  delete: (keys: readonly string[]) => Promise<void>
  /** Every key it holds (for audits and tests: it may read the whole storage). */
  list: () => AsyncIterable<string>
}

/** A key of the plugin's making: `<area>/<id>`. */
export const STORAGE_KEY = /^[a-z]\/[A-Za-z0-9_-]{1,64}$/
