/**
 * The signed URLs of attachments: the plugin's own routes that receive an upload's bytes (local
 * storage) and serve a file or its thumbnail. A URL names the attachment, what it is for and when
 * it expires, signed with an HMAC of the `attachmentSecret` option: the routes check the signature
 * and the time before anything else, so that a URL that is forged or expired tells nothing, not
 * even whether the file exists.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** What a signed URL is for. */
export type UrlPurpose = 'upload' | 'file' | 'thumbnail'

/** Expiry times are rounded up to the minute, so that the URLs of one file repeat within it and caches can keep the bytes. */
const ROUND_MS = 60_000

export class AttachmentUrls {
  readonly #secret: string
  /** The routes' path prefix, known once they are registered. */
  base = ''

  constructor (secret: string) {
    this.#secret = secret
  }

  /** When a URL issued now for `ttl` milliseconds expires (Unix seconds). */
  expiry (ttl: number, now = Date.now()): number {
    return Math.ceil((now + ttl) / ROUND_MS) * ROUND_MS / 1000
  }

  /** The signed path (with its query) of `purpose` for attachment `id`, valid until `expires` (Unix seconds). */
  path (id: string, purpose: UrlPurpose, expires: number): string {
    return `${this.base}/attachments/${id}/${purpose}?expires=${expires}&signature=${this.#sign(id, purpose, expires)}`
  }

  /** Whether `signature` signs `purpose` of `id` until `expires`, and that time has not passed. */
  verify (id: string, purpose: UrlPurpose, expires: unknown, signature: unknown, now = Date.now()): boolean {
    if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires) || typeof signature !== 'string') return false
    const given = Buffer.from(signature)
    const wanted = Buffer.from(this.#sign(id, purpose, Number(expires)))
    return given.length === wanted.length && timingSafeEqual(given, wanted) && Number(expires) * 1000 > now
  }

  #sign (id: string, purpose: UrlPurpose, expires: number): string {
    return createHmac('sha256', this.#secret).update(`${purpose}\n${id}\n${expires}`).digest('base64url')
  }
}
