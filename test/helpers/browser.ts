/**
 * A real browser for the chat page: Debian's Chromium driven by playwright-core, the example
 * application listening on 127.0.0.1 for it (on a SQLite file of its own, restartable on the same
 * port), and waiting assertions that poll what the page shows, with screenshots when they fail.
 *
 * Chromium is found at DM_CHROMIUM (default /usr/bin/chromium). Without it the browser tests are
 * skipped, visibly, outside CI; on CI (CI=true) a missing Chromium fails the run.
 */
import { accessSync, constants, mkdtempSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { buildApp, type ExampleAppOptions } from '../../examples/app.js'
import { createPrisma } from '../../examples/database.js'
import { openDatabase, type TestDatabase } from './databases.js'

export const CHROMIUM = process.env.DM_CHROMIUM ?? '/usr/bin/chromium'

/**
 * The switches Chromium runs with: headless without a GPU, no sandbox (the tests may run as root),
 * and none of the background traffic (updates, sync, QUIC probes) a test machine cannot reach.
 * playwright-core adds its own `--headless` (its `headless` option defaults to true); the explicit
 * `--headless=new` comes after it and is the one Chromium keeps.
 */
export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'
]

/** Whether an executable Chromium is at `path`. */
export function chromiumInstalled (path = CHROMIUM): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export function launchChromium (): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
}

/**
 * One browser for a test file, closed at the end of `t`; null (and a visibly skipped test) when
 * Chromium is missing here. On CI it must be there.
 */
export async function browserFor (t: Test): Promise<Browser | null> {
  if (!chromiumInstalled()) {
    if (process.env.CI === 'true') throw new Error(`no Chromium at ${CHROMIUM}; on CI the browser tests must run (install chromium, or set DM_CHROMIUM)`)
    t.test('the chat page in a real browser', { skip: `no Chromium at ${CHROMIUM} (set DM_CHROMIUM)` }, async () => {})
    return null
  }
  const browser = await launchChromium()
  t.teardown(() => browser.close())
  return browser
}

/** A user as POST /users answered it. */
export interface SignedUpUser {
  id: number
  username: string
  token: string
}

export interface ApiAnswer {
  status: number
  body: unknown
}

/** The example application, listening for the browser. */
export interface ExampleServer {
  /** `http://127.0.0.1:<port>`, the same across restarts. */
  readonly base: string
  readonly port: number
  /** The instance running now. */
  readonly app: FastifyInstance
  readonly db: TestDatabase
  /** A request to the running server over HTTP, as the user holding `token` (null: anonymous). */
  api(token: string | null, method: string, path: string, body?: unknown): Promise<ApiAnswer>
  /** Creates a user through POST /users, as a second device or a seeding script would. */
  createUser(username: string): Promise<SignedUpUser>
  /**
   * Closes the instance (which ends every event stream) and starts a new one on the same port and
   * database. `whileDown` runs after the old one closed and before the new one listens, with the
   * new instance (ready, reachable through `inject` only): what it does happens while no page can
   * connect.
   */
  restart(whileDown?: (app: FastifyInstance) => Promise<void>): Promise<void>
  /**
   * Destroys the connections carrying event streams (those of the user holding `token`, or all),
   * as a network drop does; answers how many. The server keeps running.
   */
  cutStreams(token?: string): number
  close(): Promise<void>
}

interface Instance {
  app: FastifyInstance
  streams: Map<Socket, string>
}

/** The token a request authenticates with, from its Authorization header or `access_token`. */
function tokenOf (request: IncomingMessage): string {
  const header = request.headers.authorization
  if (typeof header === 'string') return header.replace(/^\S+\s+/, '')
  return new URL(request.url ?? '/', 'http://localhost').searchParams.get('access_token') ?? ''
}

async function startInstance (db: TestDatabase, options: Omit<ExampleAppOptions, 'prisma'>): Promise<Instance> {
  // Each instance has its own client, as a restarted process would.
  const prisma = await createPrisma(db.url, { userIdType: db.userIdType })
  const app = await buildApp({ prisma, userIdType: db.userIdType, ...options }).catch(async (err: unknown) => {
    await prisma.$disconnect()
    throw err
  })
  app.addHook('onClose', async () => { await prisma.$disconnect() })
  const streams = new Map<Socket, string>()
  app.server.on('request', (request: IncomingMessage) => {
    if (request.url?.startsWith('/api/dm/events') !== true) return
    const socket = request.socket
    streams.set(socket, tokenOf(request))
    socket.once('close', () => streams.delete(socket))
  })
  await app.ready()
  return { app, streams }
}

/** The example application on a fresh SQLite file, listening on 127.0.0.1 (port 0: any free one). */
export async function startExample (options: Omit<ExampleAppOptions, 'prisma'> = {}): Promise<ExampleServer> {
  const db = await openDatabase('sqlite', 'browser')
  let current: Instance
  try {
    current = await startInstance(db, options)
    await current.app.listen({ host: '127.0.0.1', port: 0 })
  } catch (err) {
    await db.close()
    throw err
  }
  const port = (current.app.server.address() as AddressInfo).port
  const base = `http://127.0.0.1:${port}`
  let closed = false

  const api = async (token: string | null, method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const headers: Record<string, string> = {}
    if (token !== null) headers.authorization = `Token ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const response = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    const text = await response.text()
    let parsed: unknown = text
    try { parsed = text === '' ? null : JSON.parse(text) } catch { /* not JSON: keep the text */ }
    return { status: response.status, body: parsed }
  }

  return {
    base,
    port,
    get app () { return current.app },
    db,
    api,
    async createUser (username) {
      const answer = await api(null, 'POST', '/users', { username })
      if (answer.status !== 201) throw new Error(`creating user ${username}: ${answer.status} ${JSON.stringify(answer.body)}`)
      return answer.body as SignedUpUser
    },
    async restart (whileDown) {
      // The next instance is built first, so that the pages are cut off only while it is not listening.
      const next = await startInstance(db, options)
      await current.app.close()
      current = next
      if (whileDown !== undefined) await whileDown(next.app)
      await next.app.listen({ host: '127.0.0.1', port })
    },
    cutStreams (token) {
      let count = 0
      for (const [socket, owner] of current.streams) {
        if (token !== undefined && owner !== token) continue
        socket.destroy()
        count++
      }
      return count
    },
    async close () {
      if (closed) return
      closed = true
      try {
        await current.app.close()
      } finally {
        await db.close()
      }
    }
  }
}

/**
 * The pages of one group of scenarios, each in a browser context of its own (its own storage: one
 * user per context), with what they showed that no assertion looks for: dialogs and uncaught errors.
 */
export class Scene {
  readonly pages = new Map<string, Page>()
  readonly contexts: BrowserContext[] = []
  /** `<page>: <type> <message>` of every dialog a page opened (a confirm is accepted, any other dismissed). */
  readonly dialogs: string[] = []
  /** `<page>: <error>` of every uncaught error in a page. */
  readonly pageErrors: string[] = []
  /** `<page>: <text>` of the pages' console errors (failed requests included), for diagnosis. */
  readonly consoleErrors: string[] = []

  constructor (readonly browser: Browser, readonly base: string) {}

  /** A new context and page named `name`, at the chat page. */
  async open (name: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
    const context = await this.browser.newContext({ viewport })
    this.contexts.push(context)
    // Actions (click, fill) wait for their element at most this long, rather than Playwright's 30 s.
    context.setDefaultTimeout(2 * WAIT)
    const page = await context.newPage()
    this.pages.set(name, page)
    page.on('dialog', (dialog) => {
      this.dialogs.push(`${name}: ${dialog.type()} ${dialog.message()}`)
      // A confirmation before an action (unsend, block...) is answered yes: the tests act as a user who means it.
      const answer = dialog.type() === 'confirm' ? dialog.accept() : dialog.dismiss()
      answer.catch(() => {})
    })
    page.on('pageerror', (error) => { this.pageErrors.push(`${name}: ${error.message}`) })
    page.on('console', (message) => {
      if (message.type() === 'error') this.consoleErrors.push(`${name}: ${message.text()}`)
    })
    await page.goto(`${this.base}/`)
    return page
  }

  /** Saves a screenshot of every open page; answers their paths. */
  async screenshots (label: string): Promise<string[]> {
    shotDir ??= mkdtempSync(join(tmpdir(), 'dm-browser-'))
    const slug = label.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').slice(0, 60).toLowerCase()
    const paths: string[] = []
    for (const [name, page] of this.pages) {
      if (page.isClosed()) continue
      const path = join(shotDir, `${String(++shotCount).padStart(3, '0')}-${slug}-${name}.png`)
      try {
        await page.screenshot({ path, timeout: 5000 })
        paths.push(path)
      } catch (err) {
        paths.push(`${path} (failed: ${(err as Error).message.split('\n')[0] ?? ''})`)
      }
    }
    return paths
  }

  async close (): Promise<void> {
    for (const context of this.contexts.splice(0)) await context.close().catch(() => {})
    this.pages.clear()
  }
}

let shotDir: string | undefined
let shotCount = 0

/** How long a waiting assertion waits by default, in ms. */
export const WAIT = Number(process.env.DM_BROWSER_WAIT ?? 5000)
const POLL_INTERVAL = 50

/** Thrown by a failed waiting assertion after it reported: it ends the scenario, nothing more. */
export class StepFailed extends Error {
  override readonly name = 'StepFailed'
}

/** Waiting assertions: each passes as soon as the page shows what it wants, or fails at its deadline. */
export interface Checks {
  /** Polls `probe` until `ok` holds of its answer, which it returns. */
  until<T>(message: string, probe: () => Promise<T>, ok: (value: T) => boolean, timeout?: number): Promise<T>
  /** At least one element of `locator` is visible. */
  visible(locator: Locator, message: string, timeout?: number): Promise<void>
  /** No element of `locator` is visible (none exists, or all are hidden). */
  hidden(locator: Locator, message: string, timeout?: number): Promise<void>
  /** `locator` matches at least one element, shown or not (text that is only for screen readers, say). */
  present(locator: Locator, message: string, timeout?: number): Promise<void>
  /** `locator` matches exactly `count` elements. */
  count(locator: Locator, count: number, message: string, timeout?: number): Promise<void>
  /** An immediate assertion, failing the same way (screenshots included). */
  ok(value: boolean, message: string, found?: unknown): Promise<void>
}

async function visibleTexts (locator: Locator): Promise<string[]> {
  const texts = await locator.filter({ visible: true }).allInnerTexts()
  return texts.map((text) => text.length > 200 ? `${text.slice(0, 200)}…` : text)
}

export function checksFor (t: Test, scene: Scene): Checks {
  const fail = async (message: string, found: unknown): Promise<never> => {
    const screenshots = await scene.screenshots(message)
    t.fail(message, {
      found,
      screenshots,
      ...(scene.pageErrors.length > 0 ? { pageErrors: scene.pageErrors } : {}),
      ...(scene.dialogs.length > 0 ? { dialogs: scene.dialogs } : {}),
      ...(scene.consoleErrors.length > 0 ? { consoleErrors: scene.consoleErrors.slice(-10) } : {})
    })
    throw new StepFailed(`${message} (screenshots: ${screenshots.join(', ')})`)
  }

  const until = async <T>(message: string, probe: () => Promise<T>, ok: (value: T) => boolean, timeout = WAIT): Promise<T> => {
    const deadline = Date.now() + timeout
    for (;;) {
      let value: T | undefined
      let error: unknown
      try {
        value = await probe()
      } catch (err) {
        error = err
      }
      if (error === undefined && ok(value as T)) {
        t.pass(message)
        return value as T
      }
      if (Date.now() >= deadline) {
        return await fail(`${message} (within ${timeout} ms)`, error === undefined ? value : String(error))
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL))
    }
  }

  return {
    until,
    async visible (locator, message, timeout) {
      await until(message, async () => {
        const count = await locator.filter({ visible: true }).count()
        return { visible: count, matching: await locator.count() }
      }, (found) => found.visible > 0, timeout)
    },
    async hidden (locator, message, timeout) {
      await until(message, async () => ({ visible: await visibleTexts(locator) }), (found) => found.visible.length === 0, timeout)
    },
    async present (locator, message, timeout) {
      await until(message, async () => ({ matching: await locator.count() }), (found) => found.matching > 0, timeout)
    },
    async count (locator, count, message, timeout) {
      await until(message, async () => {
        const texts = await locator.allInnerTexts()
        return { count: texts.length, texts: texts.map((text) => text.length > 120 ? `${text.slice(0, 120)}…` : text) }
      }, (found) => found.count === count, timeout)
    },
    async ok (value, message, found) {
      if (value) t.pass(message)
      else await fail(message, found)
    }
  }
}

/**
 * A subtest of `t` named `name` whose waiting assertions screenshot every page of `scene` when one
 * fails; the first failure ends it. Answers whether everything in it passed.
 */
export async function scenario (t: Test, scene: Scene, name: string, fn: (check: Checks, t: Test) => Promise<void>): Promise<boolean> {
  let passed = false
  await t.test(name, async (t) => {
    try {
      await fn(checksFor(t, scene), t)
      passed = t.passing()
    } catch (err) {
      if (!(err instanceof StepFailed)) {
        const screenshots = await scene.screenshots(name)
        t.fail(`${name}: ${(err as Error).message}`, { stack: (err as Error).stack, screenshots, pageErrors: scene.pageErrors })
      }
    }
  })
  return passed
}

/** Signs up as `username` through the page's form; answers the user as POST /users answered it. */
export async function signUp (page: Page, username: string): Promise<SignedUpUser> {
  const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/users' && response.request().method() === 'POST')
  await page.getByRole('textbox', { name: 'Username', exact: true }).fill(username)
  await page.getByRole('button', { name: 'Sign up', exact: true }).click()
  const response = await answered
  if (response.status() !== 201) throw new Error(`signing up ${username}: ${response.status()} ${await response.text()}`)
  return await response.json() as SignedUpUser
}

/** `text` as a regular expression matching it literally. */
export function literal (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The page's parts, by the accessible names and texts of the page's contract. */
export function chatPage (page: Page) {
  const list = page.getByRole('list', { name: 'Conversations', exact: true })
  const log = page.getByRole('log', { name: 'Messages', exact: true })
  return {
    page,
    username: page.getByRole('textbox', { name: 'Username', exact: true }),
    signUpButton: page.getByRole('button', { name: 'Sign up', exact: true }),
    signedInAs: (username: string) => page.getByText(`Signed in as ${username}`, { exact: true }),
    signOut: page.getByRole('button', { name: 'Sign out', exact: true }),
    startWith: page.getByRole('textbox', { name: 'Start a conversation with', exact: true }),
    startButton: page.getByRole('button', { name: 'Start', exact: true }),
    list,
    /** The list item of `partner`: the item activated by a button whose name starts with the username. */
    item: (partner: string) => list.getByRole('listitem').filter({
      has: page.getByRole('button', { name: new RegExp(`^\\s*${literal(partner)}(?![\\w.@+-])`) })
    }),
    itemButton: (partner: string) => list.getByRole('button', { name: new RegExp(`^\\s*${literal(partner)}(?![\\w.@+-])`) }),
    /** An unread badge (`aria-label="<n> unread"`) inside `scope`. */
    badge: (scope: Locator, count?: number) => scope.locator(count === undefined ? '[aria-label$=" unread"]' : `[aria-label="${count} unread"]`),
    showArchived: page.getByRole('checkbox', { name: 'Show archived', exact: true }),
    heading: (partner: string) => page.getByRole('heading', { level: 2, name: partner, exact: true }),
    log,
    articles: log.getByRole('article'),
    /** The messages from `sender` holding `text` (a substring, or a pattern of the article's text). */
    message: (sender: string, text: string | RegExp) => log.getByRole('article', { name: `Message from ${sender}`, exact: true }).filter({ hasText: typeof text === 'string' ? new RegExp(literal(text)) : text }),
    composer: page.getByRole('textbox', { name: 'Message', exact: true }),
    sendButton: page.getByRole('button', { name: 'Send', exact: true }),
    button: (name: string) => page.getByRole('button', { name, exact: true }),
    /** `role="alert"` elements showing `text`. */
    alert: (text: string) => page.getByRole('alert').filter({ hasText: new RegExp(literal(text)) }),
    /** The alert showing `text` inside the form holding `field`, or (with `under`) right after that form. */
    formAlert: (field: Locator, text: string, under = false) => {
      const form = field.locator('xpath=ancestor::*[self::form or @role="form"][1]')
      const inside = form.getByRole('alert')
      const alert = under ? inside.or(form.locator('xpath=following-sibling::*[1][@role="alert"]')) : inside
      return alert.filter({ hasText: new RegExp(literal(text)) })
    },
    /** The connection's `role="status"` showing `state`. */
    status: (state: 'Connecting…' | 'Connected' | 'Reconnecting…') => page.getByRole('status').filter({ hasText: new RegExp(`^\\s*${literal(state)}\\s*$`) }),
    typing: (username: string) => page.getByText(`${username} is typing…`)
  }
}

export type ChatPage = ReturnType<typeof chatPage>
