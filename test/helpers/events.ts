/** The decorator's events of an application under test, and a fence to tell "none came" for sure. */
import type { DirectMessageEvents, DirectMessagesService, MessageSentEvent, UserId } from '../../src/index.js'
import type { TestUser } from './app.js'
import { eventually } from './wait.js'

export type RecordedName = 'messageSent' | 'messageEdited' | 'messageUnsent' | 'reactionAdded' | 'reactionRemoved'
export type Recorded = { [N in RecordedName]: { name: N, payload: DirectMessageEvents[N] } }[RecordedName]

/**
 * A fence for the decorator events of `dm`: `pass()` sends a message between two users of the
 * test's own (`pair`) and waits for its `messageSent`. Events are delivered in the order they were
 * emitted, and that one is emitted after every event of the requests answered before the call:
 * once it has arrived, so have they, and "no event" is a fact, not a guess after a sleep.
 * Listeners of `messageSent` hear the fence's message too: `isFence` tells it apart, and the
 * fence's messages are between `pair` only.
 */
export class EventFence {
  constructor (readonly dm: DirectMessagesService, readonly pair: [TestUser<UserId>, TestUser<UserId>]) {}

  /** Whether a `messageSent` payload is one of the fence's own messages. */
  isFence (payload: { from: UserId, to: UserId }): boolean {
    return payload.from === this.pair[0].id && payload.to === this.pair[1].id
  }

  /** Resolves once every event emitted before the call has reached its listeners. */
  async pass (): Promise<void> {
    const heard = new Set<number>()
    const listener = (payload: MessageSentEvent): void => { heard.add(payload.message.id) }
    this.dm.on('messageSent', listener)
    try {
      const fence = await this.dm.send(this.pair[0].id, this.pair[1].id, 'fence')
      await eventually('the fence\'s messageSent', () => heard.has(fence.id))
    } finally {
      this.dm.off('messageSent', listener)
    }
  }
}

/**
 * Every decorator event of an app (but messageRead). `settled(mark)` answers what arrived since
 * `mark` once the fence has passed.
 */
export class Recorder {
  readonly items: Recorded[] = []
  readonly fence: EventFence

  constructor (readonly dm: DirectMessagesService, pair: [TestUser<UserId>, TestUser<UserId>]) {
    this.fence = new EventFence(dm, pair)
    dm.on('messageSent', (payload) => { if (!this.fence.isFence(payload)) this.items.push({ name: 'messageSent', payload }) })
    dm.on('messageEdited', (payload) => { this.items.push({ name: 'messageEdited', payload }) })
    dm.on('messageUnsent', (payload) => { this.items.push({ name: 'messageUnsent', payload }) })
    dm.on('reactionAdded', (payload) => { this.items.push({ name: 'reactionAdded', payload }) })
    dm.on('reactionRemoved', (payload) => { this.items.push({ name: 'reactionRemoved', payload }) })
  }

  /** A point to count from, once the events of every earlier request have arrived. */
  async mark (): Promise<number> {
    await this.fence.pass()
    return this.items.length
  }

  /** The events since `mark`, once the events of every earlier request have arrived. */
  async settled (mark: number): Promise<Recorded[]> {
    await this.fence.pass()
    return this.items.slice(mark)
  }
}
