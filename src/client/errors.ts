/** The error the client throws for an HTTP answer that is not a success. */

/**
 * An HTTP error answer of the server (any status outside 200–299), with the fields of its error
 * body. Network failures are not wrapped: they stay what `fetch` throws (a `TypeError`, or an
 * `AbortError` for an aborted request).
 */
export class DirectMessagesError extends Error {
  override readonly name = 'DirectMessagesError'
  /** The HTTP status, e.g. 404. */
  readonly statusCode: number
  /** The server's error code, e.g. `FST_DM_USER_NOT_FOUND`; undefined when the body has none (or is not JSON). */
  readonly code: string | undefined
  /** The HTTP reason phrase of the body, e.g. `Not Found`. */
  readonly error: string
  /** The parsed body (JSON), or its text when it is not JSON. */
  readonly body: unknown
  /** `Retry-After` in milliseconds (on 429 and 503 answers), when the server sent one in seconds. */
  readonly retryAfter: number | undefined

  constructor (statusCode: number, body: unknown, retryAfter?: number) {
    const fields = typeof body === 'object' && body !== null ? body as Record<string, unknown> : {}
    const message = typeof fields['message'] === 'string'
      ? fields['message']
      : typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 500) : `HTTP ${statusCode}`
    super(message)
    this.statusCode = statusCode
    this.code = typeof fields['code'] === 'string' ? fields['code'] : undefined
    this.error = typeof fields['error'] === 'string' ? fields['error'] : ''
    this.body = body
    this.retryAfter = retryAfter
  }
}

/** `Retry-After` in ms, when it is a number of seconds (the server's form); undefined otherwise. */
export function parseRetryAfter (value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined
  return Number(value) * 1000
}

/** The DirectMessagesError of a response that is not a success (reads its body). */
export async function errorOf (response: Response): Promise<DirectMessagesError> {
  let text = ''
  try {
    text = await response.text()
  } catch { /* the body could not be read: the status says enough */ }
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch { /* not JSON: keep the text */ }
  return new DirectMessagesError(response.status, body, parseRetryAfter(response.headers.get('retry-after')))
}
