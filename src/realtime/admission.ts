/**
 * How an instance lets streams in under a reconnect storm: a gate that lets a few in at once and
 * queues a bounded number, and read slots that put the catch-ups of open streams before the
 * positions of streams being opened.
 */

/** At most `size` holders at once; up to `max` wait in order; beyond, none is let in. */
export class Gate {
  #free: number
  readonly #max: number
  readonly #queue: Array<() => void> = []

  constructor (size: number, max: number) {
    this.#free = size
    this.#max = max
  }

  get waiting (): number {
    return this.#queue.length
  }

  /** Resolves with the function that lets the next one in; null when too many wait already. */
  enter (): Promise<() => void> | null {
    if (this.#free > 0) {
      this.#free--
      return Promise.resolve(this.#releaser())
    }
    if (this.#queue.length >= this.#max) return null
    return new Promise((resolve) => this.#queue.push(() => resolve(this.#releaser())))
  }

  #releaser (): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#queue.shift()
      if (next !== undefined) next()
      else this.#free++
    }
  }
}

/**
 * Runs at most `size` reads at once; catch-ups of open streams (deliveries) go before the
 * positions of streams being opened.
 */
export class ReadSlots {
  #free: number
  readonly #deliveries: Array<() => void> = []
  readonly #opens: Array<() => void> = []

  constructor (size: number) {
    this.#free = size
  }

  async run<T>(kind: 'delivery' | 'open', read: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--
    else await new Promise<void>((resolve) => (kind === 'delivery' ? this.#deliveries : this.#opens).push(resolve))
    try {
      return await read()
    } finally {
      const next = this.#deliveries.shift() ?? this.#opens.shift()
      if (next !== undefined) next()
      else this.#free++
    }
  }
}
