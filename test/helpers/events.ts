/** The decorator's events of an application under test, and a fence to tell "none came" for sure. */
import type { DirectMessageEvents, DirectMessagesService, UserId } from '../../src/index.js'
import type { TestUser } from './app.js'

export type RecordedName = 'messageSent' | 'messageEdited' | 'messageUnsent' | 'reactionAdded' | 'reactionRemoved'
export type Recorded = { [N in RecordedName]: { name: N, payload: DirectMessageEvents[N] } }[RecordedName]

/**
 * Every decorator event of an app. `settled(mark)` answers what arrived since `mark` once a fence
 * (a send between two users of their own, whose event is emitted after any event the requests
 * before it emitted) has arrived: "no event" is then a fact, not a guess after a sleep.
 */
export class Recorder {
  readonly items: Recorded[] = []
  readonly #waiters = new Set<() => void>()

  constructor (readonly dm: DirectMessagesService, readonly fence: [TestUser<UserId>, TestUser<UserId>]) {
    dm.on('messageSent', (payload) => { this.#push({ name: 'messageSent', payload }) })
    dm.on('messageEdited', (payload) => { this.#push({ name: 'messageEdited', payload }) })
    dm.on('messageUnsent', (payload) => { this.#push({ name: 'messageUnsent', payload }) })
    dm.on('reactionAdded', (payload) => { this.#push({ name: 'reactionAdded', payload }) })
    dm.on('reactionRemoved', (payload) => { this.#push({ name: 'reactionRemoved', payload }) })
  }

  #push (item: Recorded): void {
    this.items.push(item)
    for (const waiter of this.#waiters) waiter()
  }

  /** A point to count from, once the events of every earlier request have arrived. */
  async mark (): Promise<number> {
    await this.#fence()
    return this.items.length
  }

  /** Resolves once `predicate` holds for the events so far; rejects after `ms`. */
  until (predicate: (items: Recorded[]) => boolean, ms = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => { if (predicate(this.items)) { cleanup(); resolve() } }
      const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for events; got ${this.items.map((i) => i.name).join(', ')}`)) }, ms)
      const cleanup = (): void => { clearTimeout(timer); this.#waiters.delete(check) }
      this.#waiters.add(check)
      check()
    })
  }

  /** The events since `mark`, fences left out, once the events of every earlier request have arrived. */
  async settled (mark: number): Promise<Recorded[]> {
    await this.#fence()
    return this.items.slice(mark).filter((item) => !this.#isFence(item))
  }

  #isFence (item: Recorded): boolean {
    return item.name === 'messageSent' && item.payload.from === this.fence[0].id && item.payload.to === this.fence[1].id
  }

  async #fence (): Promise<void> {
    const fence = await this.dm.send(this.fence[0].id, this.fence[1].id, 'fence')
    await this.until((items) => items.some((item) => this.#isFence(item) && item.payload.message.id === fence.id))
  }
}
