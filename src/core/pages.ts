/**
 * Cursor pagination, the same for every list: where a page starts (from its cursor, bound to the
 * user and the list), and a page of rows read in its direction turned into items newest first
 * with the cursors of the pages beside it.
 */
import { CursorCodec, MAX_PAGE_SIZE, PAGE_SIZE, type Direction } from '../domain/cursor.js'
import { InvalidPageSize } from '../domain/errors.js'
import type { Page, PageRequest } from '../domain/types.js'

/** The newest-first sentinel: larger than any id the plugin hands out (2^53 - 1). */
export const NEWEST = Number.MAX_SAFE_INTEGER

/** Where a page starts, which way it reads, and how many items it holds. */
export interface Position {
  direction: Direction
  key: number
  /** The first page (no cursor): nothing lies newer. */
  first: boolean
  size: number
}

export class Pages {
  readonly #cursors: CursorCodec

  constructor (secret: string) {
    this.#cursors = new CursorCodec(secret)
  }

  /** Where the page `request` asks for starts, in the list `scope` (its cursors are refused by any other). */
  position (scope: string, request: PageRequest): Position {
    const size = request.pageSize ?? PAGE_SIZE
    if (!Number.isSafeInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw new InvalidPageSize(MAX_PAGE_SIZE)
    if (request.cursor === undefined) return { direction: 'older', key: NEWEST, first: true, size }
    return { ...this.#cursors.decode(scope, request.cursor), first: false, size }
  }

  /**
   * Turns `size + 1` rows read in the page's direction into a newest-first page with cursors.
   * The extra row only tells whether more items lie beyond the page in that direction.
   */
  page<T>(scope: string, position: Position, rows: T[], keyOf: (item: T) => number): Page<T> {
    const more = rows.length > position.size
    const items = rows.slice(0, position.size)
    if (position.direction === 'newer') items.reverse()
    const newest = items[0]
    const oldest = items[items.length - 1]
    const cursor = (direction: Direction, key: number): string => this.#cursors.encode(scope, { direction, key })
    if (position.direction === 'older') {
      return {
        items,
        next: more && oldest !== undefined ? cursor('older', keyOf(oldest)) : null,
        previous: position.first ? null : cursor('newer', newest === undefined ? position.key - 1 : keyOf(newest))
      }
    }
    return {
      items,
      next: cursor('older', oldest === undefined ? position.key + 1 : keyOf(oldest)),
      previous: more && newest !== undefined ? cursor('newer', keyOf(newest)) : null
    }
  }
}
