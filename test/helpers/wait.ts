/**
 * Waiting on a condition or a signal, never on the clock: the one place the tests wait.
 *
 * - `eventually` asks `check` again and again (on the next turn of the event loop, then every few
 *   milliseconds) until it answers a value other than undefined, false or null, and fails naming
 *   `what` when `timeout` ms pass first. `eventuallyValue` does the same for a value that must
 *   satisfy `ok`.
 * - `within` waits for a promise that must settle (a stream ending, a client closing), failing
 *   naming `what` after `timeout` ms.
 * - `turns` lets other work run for a number of turns of the event loop, with no clock involved.
 *
 * To show that something does NOT happen (no duplicate event, no stray frame), no test waits a
 * while and looks: it makes the absence observable through a later signal (a message sent, or an
 * event published, afterwards and waited for: everything before it has then been delivered, in
 * order), and says so where it does.
 */
export async function eventually<T> (what: string, check: () => T | Promise<T>, timeout = 5000): Promise<Exclude<T, undefined | false | null>> {
  const deadline = Date.now() + timeout
  let last: unknown
  for (let delay = 0; ; delay = Math.min(50, delay * 2 + 1)) {
    try {
      const value = await check()
      if (value !== undefined && value !== false && value !== null) return value as Exclude<T, undefined | false | null>
      last = value
    } catch (err) {
      last = err
    }
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${timeout} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`)
    await new Promise((resolve) => setTimeout(resolve, delay))
  }
}

/** Asks `probe` again and again until `ok` holds of its answer, and answers that answer (as `eventually` does). */
export async function eventuallyValue<T> (what: string, probe: () => T | Promise<T>, ok: (value: T) => boolean, timeout = 5000): Promise<T> {
  let last: T | undefined
  try {
    return (await eventually(what, async () => {
      last = await probe()
      return ok(last) ? { value: last } : undefined
    }, timeout)).value
  } catch (err) {
    throw new Error(`${(err as Error).message}; last answer: ${JSON.stringify(last)}`)
  }
}

/** Resolves as `promise` does, or rejects naming `what` when it has not settled within `timeout` ms. */
export async function within<T> (what: string, promise: PromiseLike<T>, timeout = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${timeout} ms`)), timeout)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves after `count` turns of the event loop (I/O and timers due meanwhile run in between). */
export async function turns (count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve))
}
