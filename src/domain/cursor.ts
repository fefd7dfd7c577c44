/**
 * Opaque pagination cursors. A cursor names a position in one list (a message id, or a
 * conversation's last message id) and a direction, and carries a MAC over that position and the
 * list it belongs to (user, route, partner), so a cursor that was altered, or that comes from
 * another user's or another conversation's list, is refused with a 400 instead of being honoured.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { InvalidCursor } from './errors.js'

/** Items per page of every paginated list, unless the request says otherwise. */
export const PAGE_SIZE = 50
/** The largest page a request may ask for. */
export const MAX_PAGE_SIZE = 100

/** `older`: the items after this position in newest-first order; `newer`: the items before it. */
export type Direction = 'older' | 'newer'

export interface Position {
  direction: Direction
  key: number
}

const MAC_LENGTH = 22 // 16 bytes of HMAC-SHA256, base64url
const CURSOR_SHAPE = /^([A-Za-z0-9_-]{2,24})\.([A-Za-z0-9_-]{22})$/
const PAYLOAD_SHAPE = /^([on]):([1-9][0-9]{0,15})$/

export class CursorCodec {
  readonly #secret: string

  constructor (secret: string) {
    this.#secret = secret
  }

  encode (scope: string, position: Position): string {
    const payload = `${position.direction === 'older' ? 'o' : 'n'}:${position.key}`
    return `${Buffer.from(payload).toString('base64url')}.${this.#mac(scope, payload)}`
  }

  /** Reads a cursor of the list `scope`; throws InvalidCursor (400) for anything else. */
  decode (scope: string, cursor: string): Position {
    const parts = CURSOR_SHAPE.exec(cursor)
    if (parts === null) throw new InvalidCursor()
    const payload = Buffer.from(parts[1] as string, 'base64url').toString('latin1')
    const expected = Buffer.from(this.#mac(scope, payload))
    const given = Buffer.from(parts[2] as string)
    if (!timingSafeEqual(expected, given)) throw new InvalidCursor()
    const fields = PAYLOAD_SHAPE.exec(payload)
    const key = Number(fields?.[2])
    if (fields === null || !Number.isSafeInteger(key)) throw new InvalidCursor()
    return { direction: fields[1] === 'o' ? 'older' : 'newer', key }
  }

  #mac (scope: string, payload: string): string {
    return createHmac('sha256', this.#secret).update(scope).update('\n').update(payload)
      .digest('base64url').slice(0, MAC_LENGTH)
  }
}
