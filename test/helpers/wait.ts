/**
 * Waiting on a condition, never on the clock: `eventually` asks `check` again and again (on the
 * next turn of the event loop, then every few milliseconds) until it answers a value other than
 * undefined, false or null, and fails naming `what` when `timeout` ms pass first.
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
