/* global localStorage */
/**
 * The page's state, shared by its modules, and what it keeps in localStorage: the session, the
 * last event id of the stream (so that a reload resumes it) and the partners' usernames.
 */

/**
 * @typedef {import('/client/index.js').DirectMessagesClient} DirectMessagesClient
 * @typedef {import('/client/index.js').ConversationBody} ConversationBody
 * @typedef {import('/client/index.js').MessageBody} MessageBody
 * @typedef {{ token: string, id: number | string, username: string }} Session
 */

export const state = {
  /** @type {Session | null} */
  session: null,
  /** @type {DirectMessagesClient | null} */
  client: null,
  /** @type {import('/client/index.js').Subscription | null} */
  subscription: null,
  /** Conversation entries of both lists (main and archived), by partner id. @type {Map<string, ConversationBody>} */
  entries: new Map(),
  /** Usernames of partners, by id. @type {Map<string, string>} */
  names: new Map(),
  /** @type {Map<string, { online: boolean, last_seen_at: string | null }>} */
  presence: new Map(),
  /** Partners the user blocks. @type {Set<string>} */
  blocked: new Set(),
  showArchived: false,
  /** The open conversation (see conversation.js), or null. @type {any} */
  open: null
}

/** Functions one module offers the others without importing them (set by chat.js). */
export const hooks = {
  /** The server refused the token: back to the sign-up form. */
  expire: () => {},
  /** The entries, presence or blocks changed: redraw what shows them besides the list. */
  listChanged: () => {}
}

/** The client of the signed-in user (the callers run while signed in). */
export const api = () => /** @type {DirectMessagesClient} */ (state.client)

/** Ids are numbers or strings (the `userIdType` option): compared as strings. */
export const key = (/** @type {unknown} */ id) => String(id)

/** The partner of a message, from the user's side. @param {MessageBody} message */
export const partnerOf = (message) => key(message.direction === 'in' ? message.sender : message.recipient)

/** The username of a participant of the open conversation. */
export function nameOf (/** @type {unknown} */ userId) {
  if (state.session !== null && key(userId) === key(state.session.id)) return state.session.username
  return state.names.get(key(userId)) ?? `User ${key(userId)}`
}

const SESSION = 'dm.session'
const eventIdKey = () => `dm.lastEventId.${state.session?.id}`
const namesKey = () => `dm.names.${state.session?.id}`

export const storage = {
  /** @returns {Session | null} */
  loadSession () {
    try {
      const session = JSON.parse(localStorage.getItem(SESSION) ?? 'null')
      return typeof session?.token === 'string' && typeof session.username === 'string' ? session : null
    } catch {
      return null
    }
  },
  saveSession (/** @type {Session} */ session) { localStorage.setItem(SESSION, JSON.stringify(session)) },
  lastEventId: () => localStorage.getItem(eventIdKey()) ?? undefined,
  saveLastEventId (/** @type {string | undefined} */ id) {
    if (id === undefined) localStorage.removeItem(eventIdKey())
    else localStorage.setItem(eventIdKey(), id)
  },
  loadNames () {
    try {
      return new Map(Object.entries(JSON.parse(localStorage.getItem(namesKey()) ?? '{}')))
    } catch {
      return new Map()
    }
  },
  saveNames () { localStorage.setItem(namesKey(), JSON.stringify(Object.fromEntries(state.names))) },
  /** Forgets everything of the signed-in user. */
  clear () {
    localStorage.removeItem(eventIdKey())
    localStorage.removeItem(namesKey())
    localStorage.removeItem(SESSION)
  }
}
