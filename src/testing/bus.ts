/**
 * The conformance kit for buses: the checks any {@link DirectMessagesBus} must pass before the
 * plugin can rely on it, registered as test cases with whatever runner the caller uses (tap,
 * node:test, vitest...). Run it against a real server: a bus is only as good as its behaviour on
 * the wire. It asserts with `node:assert/strict` and depends on no test runner at run time; it
 * waits for what it expects (a delivery, a report), never for a fixed time.
 *
 * @example
 * ```ts
 * import t from 'tap'
 * import { runBusTests } from 'fastify-directmessages/testing'
 *
 * runBusTests({
 *   test: (name, fn) => t.test(name, fn),
 *   createBus: () => myBus({ url: process.env.MY_BUS_URL, channel: 'directmessages_test' })
 * })
 * ```
 */
import assert from 'node:assert/strict'
import type { BusEvent, BusHandlers, DirectMessagesBus } from '../realtime/bus.js'

/** What {@link runBusTests} needs to know of the bus under test. */
export interface BusTestOptions {
  /**
   * Registers one test case with the caller's runner: tap's `(name, fn) => t.test(name, fn)`,
   * node:test's `test`, vitest's `it`... The cases are meant to run one after the other, as these
   * runners run the tests of one file by default.
   */
  test: (name: string, fn: () => Promise<void>) => unknown
  /**
   * A new, unstarted bus on the channel under test: each call stands for one more instance of the
   * application (the kit calls it twice for two instances). Every bus it makes is closed by the
   * case that made it.
   */
  createBus: () => DirectMessagesBus | Promise<DirectMessagesBus>
  /**
   * Whether buses made by `createBus` reach each other, as those of two application instances
   * must (default true). `false` for a bus that stays inside its process, like `memoryBus()`: the
   * kit then checks that two of them are separate, and registers none of the cases below, which
   * need a server.
   */
  shared?: boolean
  /**
   * Optional: a new, unstarted bus on another channel of the same server, which must hear nothing
   * of the channel under test (and the other way round). Absent: that case is not registered.
   */
  createBusOnOtherChannel?: () => DirectMessagesBus | Promise<DirectMessagesBus>
  /**
   * Optional: sends `payload` on the channel under test the way another instance's bus would put
   * it on the wire, bypassing the bus (a `pg_notify`, a Redis `PUBLISH`...). The kit sends garbage,
   * which every bus must drop, then an event encoded as JSON (`JSON.stringify(event)`), which must
   * arrive. Absent: that case is not registered.
   */
  publishRaw?: (payload: string) => Promise<void>
  /**
   * Optional: cuts every connection of the buses made by `createBus` from the server side
   * (`pg_terminate_backend`, Redis `CLIENT KILL`...), as a server restart or a network failure
   * would; the buses must report `down` once, reconnect by themselves and report `up`. For a bus
   * with several connections, cut the one that receives (a lost publishing connection only makes
   * publishes fail, it is not reported). Absent: the outage case is not registered.
   */
  disconnect?: () => Promise<void>
  /**
   * Optional: a new, unstarted bus whose server cannot be reached (a closed port): `start` must
   * reject, report nothing, and leave `publish` rejecting. Absent: that case is not registered.
   */
  createUnreachableBus?: () => DirectMessagesBus | Promise<DirectMessagesBus>
  /**
   * Optional: how many connections of the buses made by `createBus` the server still holds (from
   * `pg_stat_activity`, Redis `CLIENT LIST`...). Once every bus is closed it must come down to 0.
   * Absent: close is checked without it.
   */
  openConnections?: () => Promise<number>
  /** How long to wait for each delivery or report the kit expects, in ms (default 5000). */
  timeout?: number
}

/** What a started bus reported, with a way to wait for a report. */
class Reports implements BusHandlers {
  readonly events: BusEvent[] = []
  readonly downs: Error[] = []
  ups = 0
  readonly #wake = new Set<() => void>()

  constructor (readonly label: string, readonly timeout: number) {}

  deliver (event: BusEvent): void {
    this.events.push(event)
    this.#notify()
  }

  down (error: Error): void {
    this.downs.push(error)
    this.#notify()
  }

  up (): void {
    this.ups++
    this.#notify()
  }

  #notify (): void {
    for (const wake of this.#wake) wake()
  }

  /** Resolves once `check` holds of the reports (checked after each one); rejects after the timeout, naming `what`. */
  until (what: string, check: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        if (!check()) return
        cleanup()
        resolve()
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`${this.label}: ${what}: not within ${this.timeout} ms (received ${this.events.length} events, ${this.downs.length} downs, ${this.ups} ups)`))
      }, this.timeout)
      const cleanup = (): void => {
        clearTimeout(timer)
        this.#wake.delete(wake)
      }
      this.#wake.add(wake)
      wake()
    })
  }
}

/** A started bus and what it reported. */
interface Instance {
  bus: DirectMessagesBus
  reports: Reports
}

/** One of each kind of event the plugin publishes. */
const EVERY_KIND: BusEvent[] = [
  { type: 'message', id: 1, sender: 2, recipient: 3 },
  { type: 'read', reader: 3, partner: 2, ids: [1, 4, 5], readAt: '2026-01-02T03:04:05.678Z' },
  { type: 'deleted', user: 2, id: 1 },
  { type: 'conversation_deleted', user: 2, partner: 3 },
  { type: 'updated', id: 1, sender: 2, recipient: 3 },
  { type: 'typing', user: 2, partner: 3, expiresAt: '2026-01-02T03:04:10.678Z' },
  { type: 'presence', user: 2, online: true, lastSeenAt: null, to: [3, 'cm0stringuserid000000000'] }
]

/**
 * The largest events the plugin publishes: a `read` of 400 message ids (it splits larger reads),
 * and a `presence` event told to 50 partners, whose string ids may be 128 characters long. Both
 * stay under PostgreSQL's NOTIFY limit, the smallest of the buses the plugin ships.
 */
const LARGEST: BusEvent[] = [
  { type: 'read', reader: 1, partner: 2, ids: Array.from({ length: 400 }, (_, i) => Number.MAX_SAFE_INTEGER - i), readAt: '2026-01-02T03:04:05.678Z' },
  { type: 'presence', user: 'u'.repeat(128), online: false, lastSeenAt: '2026-01-02T03:04:05.678Z', to: Array.from({ length: 50 }, (_, i) => `${i}`.padStart(128, 'p')) }
]

/** Payloads no bus may deliver: not JSON, not an object, or not an event the plugin publishes. */
const MALFORMED = [
  'not json',
  '',
  'null',
  '42',
  '[1,2]',
  '{"type":"nope","id":1}',
  '{"type":"message","id":-1,"sender":2,"recipient":3}',
  '{"type":"message","id":1,"sender":"not an id","recipient":3}',
  '{"type":"message","id":"1","sender":2,"recipient":3}',
  '{"type":"read","reader":1,"partner":2,"ids":[0],"readAt":"x"}',
  '{"type":"deleted","user":1}',
  '{"type":"message","id":1,"sender":2,'
]

/** Events of one kind, `count` of them from `from` on, to check the order they arrive in. */
function burst (from: number, count: number): BusEvent[] {
  return Array.from({ length: count }, (_, i) => ({ type: 'message', id: from + i, sender: 7, recipient: 8 }))
}

/**
 * Registers the conformance cases of a bus with `options.test`: delivery of every kind of event to
 * every instance (the publisher included) exactly once and in each publisher's order, never inside
 * `publish` itself; the largest events intact; channels kept apart; malformed payloads dropped; a
 * connection cut from the server side reported `down` once, then `up` again, with delivery
 * resuming; a `start` that cannot connect rejecting and leaving nothing behind; and `close`
 * releasing everything (twice is harmless, nothing is delivered afterwards). Cases whose option is
 * absent are not registered.
 */
export function runBusTests (options: BusTestOptions): void {
  const timeout = options.timeout ?? 5000
  const shared = options.shared ?? true
  let markers = 0

  /** Runs `fn` with a way to start buses, closing every one of them afterwards, whatever happens. */
  const withBuses = (fn: (start: (make?: () => DirectMessagesBus | Promise<DirectMessagesBus>) => Promise<Instance>) => Promise<void>) => async (): Promise<void> => {
    const started: DirectMessagesBus[] = []
    let count = 0
    const start = async (make = options.createBus): Promise<Instance> => {
      const bus = await make()
      started.push(bus)
      const reports = new Reports(`${bus.name} bus ${++count}`, timeout)
      await bus.start(reports)
      assert.equal(reports.ups, 1, `${reports.label} reports up once started`)
      assert.deepEqual(reports.downs, [], `${reports.label} reports no down once started`)
      return { bus, reports }
    }
    try {
      await fn(start)
    } finally {
      for (const bus of started) await bus.close()
    }
  }

  /**
   * Publishes `events` from `from` all at once, then a marker, and waits until each of `to` has the
   * marker. Each publisher's events arrive in its order, so everything before the marker has then
   * arrived: each of `to` must have received exactly `events`, in order, once each, then the marker.
   */
  const expectDelivery = async (from: Instance, to: Instance[], events: BusEvent[], label: string): Promise<void> => {
    const before = to.map((instance) => instance.reports.events.length)
    await Promise.all(events.map((event) => from.bus.publish(event)))
    const marker: BusEvent = { type: 'deleted', user: 999_999, id: 1_000_000 + ++markers }
    await from.bus.publish(marker)
    for (const [i, instance] of to.entries()) {
      await instance.reports.until(`${label}: the marker published after the events`, () => instance.reports.events.some((event) => isSame(event, marker)))
      assert.deepEqual(instance.reports.events.slice(before[i]), [...events, marker],
        `${label}: ${instance.reports.label} received each event once, in publish order, and nothing else`)
    }
  }

  /** Publishes a marker on `instance` and waits for it: what `instance` had received before it is then all it will receive. */
  const fence = async (instance: Instance, label: string): Promise<BusEvent> => {
    const marker: BusEvent = { type: 'deleted', user: 999_998, id: 1_000_000 + ++markers }
    await instance.bus.publish(marker)
    await instance.reports.until(`${label}: its own marker`, () => instance.reports.events.some((event) => isSame(event, marker)))
    return marker
  }

  options.test('delivers every kind of event, once each and in publish order, never inside publish', withBuses(async (start) => {
    const a = await start()
    const b = shared ? await start() : null
    const everyone = b === null ? [a] : [a, b]
    const publishing = a.bus.publish(EVERY_KIND[0] as BusEvent)
    assert.deepEqual(a.reports.events, [], 'nothing is delivered inside publish')
    await publishing
    await a.reports.until('the first event', () => a.reports.events.length >= 1)
    assert.deepEqual(a.reports.events, [EVERY_KIND[0]], 'delivered to the publisher')
    if (b !== null) await b.reports.until('the first event, on the other instance', () => b.reports.events.length >= 1)

    await expectDelivery(a, everyone, EVERY_KIND, 'every kind of event from the first instance')
    if (b !== null) await expectDelivery(b, everyone, EVERY_KIND, 'every kind of event from the second instance')
    await expectDelivery(a, everyone, burst(100, 60), 'a burst of 60 published at once')
    // Publishes awaited one by one arrive in order too.
    const before = everyone.map((instance) => instance.reports.events.length)
    const sequence = burst(200, 10)
    for (const event of sequence) await a.bus.publish(event)
    const last = sequence[sequence.length - 1] as BusEvent
    for (const [i, instance] of everyone.entries()) {
      await instance.reports.until('the awaited publishes', () => instance.reports.events.some((event) => isSame(event, last)))
      assert.deepEqual(instance.reports.events.slice(before[i]), sequence, `${instance.reports.label}: awaited publishes arrive in order`)
    }
    for (const instance of everyone) assert.deepEqual(instance.reports.downs, [], `${instance.reports.label}: no down reported`)
  }))

  options.test('delivers the largest events the plugin publishes intact', withBuses(async (start) => {
    const a = await start()
    const everyone = shared ? [a, await start()] : [a]
    await expectDelivery(a, everyone, LARGEST, 'a read of 400 ids and a presence event told to 50 partners')
  }))

  if (!shared) {
    options.test('two buses are separate, as two processes would be', withBuses(async (start) => {
      const a = await start()
      const b = await start()
      await expectDelivery(a, [a], EVERY_KIND, 'on the first bus')
      // The second bus's own marker, published after the first bus's events were delivered: had
      // those events reached it, they would have by then.
      const marker = await fence(b, 'the second bus')
      assert.deepEqual(b.reports.events, [marker], 'the second bus received nothing of the first\'s')
    }))
  }

  if (shared && options.createBusOnOtherChannel !== undefined) {
    const other = options.createBusOnOtherChannel
    options.test('buses on different channels do not hear each other', withBuses(async (start) => {
      const a = await start()
      const b = await start()
      const c = await start(other)
      await expectDelivery(a, [a, b], EVERY_KIND, 'on the channel under test')
      // c's own marker comes after what a published: had a's events reached c, they would have by then.
      const marker = await fence(c, 'the other channel')
      assert.deepEqual(c.reports.events, [marker], 'nothing of the channel under test arrived on the other channel')
      await expectDelivery(c, [c], EVERY_KIND, 'on the other channel')
      await fence(a, 'the channel under test')
      await fence(b, 'the channel under test')
      for (const instance of [a, b]) {
        assert.equal(instance.reports.events.filter((event) => !isMarker(event)).length, EVERY_KIND.length, `${instance.reports.label}: nothing of the other channel arrived`)
      }
    }))
  }

  if (shared && options.publishRaw !== undefined) {
    const publishRaw = options.publishRaw
    options.test('drops malformed payloads sent to its channel, and goes on', withBuses(async (start) => {
      const a = await start()
      const b = await start()
      for (const payload of MALFORMED) await publishRaw(payload)
      // A well-formed event sent the same raw way, after them: once it has arrived, the malformed
      // ones have been dropped.
      const sentinel: BusEvent = { type: 'deleted', user: 9, id: 99 }
      await publishRaw(JSON.stringify(sentinel))
      for (const instance of [a, b]) {
        await instance.reports.until('the well-formed raw event', () => instance.reports.events.length >= 1)
        assert.deepEqual(instance.reports.events, [sentinel], `${instance.reports.label} received only the well-formed event`)
      }
      await expectDelivery(a, [a, b], EVERY_KIND, 'after the malformed payloads')
      for (const instance of [a, b]) assert.deepEqual(instance.reports.downs, [], `${instance.reports.label}: no down reported`)
    }))
  }

  if (shared && options.disconnect !== undefined) {
    const disconnect = options.disconnect
    options.test('a connection cut from the server side is reported down once, then up again, and delivery resumes', withBuses(async (start) => {
      const a = await start()
      const b = await start()
      await expectDelivery(a, [a, b], EVERY_KIND, 'before the outage')
      for (const outage of [1, 2]) {
        await disconnect()
        for (const instance of [a, b]) {
          await instance.reports.until(`down (outage ${outage})`, () => instance.reports.downs.length >= outage)
          await instance.reports.until(`up again (outage ${outage})`, () => instance.reports.ups === outage + 1)
          assert.equal(instance.reports.downs.length, outage, `${instance.reports.label}: down reported once for outage ${outage}`)
          assert.ok(instance.reports.downs[outage - 1] instanceof Error, `${instance.reports.label}: down is reported with an error`)
        }
        await expectDelivery(a, [a, b], EVERY_KIND, `after recovery from outage ${outage}, from the first instance`)
        await expectDelivery(b, [a, b], burst(300 + 100 * outage, 20), `after recovery from outage ${outage}, from the second instance`)
      }
    }))
  }

  if (options.createUnreachableBus !== undefined) {
    const unreachable = options.createUnreachableBus
    options.test('a start that cannot connect rejects, reports nothing and leaves publish rejecting', async () => {
      const bus = await unreachable()
      const reports = new Reports(`${bus.name} bus (unreachable)`, timeout)
      try {
        await assert.rejects(bus.start(reports), 'start rejects')
        assert.deepEqual([reports.ups, reports.downs.length], [0, 0], 'neither up nor down reported by a failed start')
        await assert.rejects(bus.publish(EVERY_KIND[0] as BusEvent), 'publish rejects after a failed start')
      } finally {
        await bus.close()
      }
      // Whatever a failed start left running would have had the publish and the close to report
      // through; a bus that releases everything reports nothing afterwards either.
      assert.deepEqual([reports.ups, reports.downs.length, reports.events.length], [0, 0, 0], 'nothing reported, up to and after close')
    })
  }

  options.test('close releases it: twice is harmless, nothing is delivered afterwards, the other instances go on', withBuses(async (start) => {
    const a = await start()
    const b = await start()
    await a.bus.close()
    await a.bus.close()
    // After close, publish may reject (the networked buses do) or do nothing (memoryBus): either
    // way, nothing is delivered.
    await a.bus.publish(EVERY_KIND[0] as BusEvent).catch(() => {})
    if (shared) {
      await expectDelivery(b, [b], EVERY_KIND, 'the other instance still works')
    } else {
      // The other bus's own marker, published after the closed bus's publish: anything that
      // publish was to deliver would have been delivered by then.
      await fence(b, 'the other bus')
    }
    assert.deepEqual(a.reports.events, [], 'the closed bus delivered nothing')
    assert.deepEqual(a.reports.downs, [], 'closing is not reported as down')
    assert.equal(a.reports.ups, 1, 'nor as up')
    await b.bus.close()
    if (options.openConnections !== undefined) {
      const openConnections = options.openConnections
      const deadline = Date.now() + timeout
      let open = await openConnections()
      // The server may take a moment to see a connection go: wait for it, within the timeout.
      while (open !== 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        open = await openConnections()
      }
      assert.equal(open, 0, 'no connection of the closed buses is left on the server')
    }
  }))
}

function isMarker (event: BusEvent): boolean {
  return event.type === 'deleted' && (event.user === 999_999 || event.user === 999_998)
}

function isSame (a: BusEvent, b: BusEvent): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
