/* global document, window, location, history, fetch */
/**
 * The chat page of the example application, built on the plugin's client: signing up (the
 * example's POST /users), the session, the event stream, and the URL (`#<partnerId>` is the open
 * conversation). The list and the conversation live in list.js and conversation.js.
 */
import { createClient, DirectMessagesError } from '/client/index.js'
import { state, hooks, api, key, partnerOf, storage } from './state.js'
import { $, showAlert, messageOf, reportError } from './dom.js'
import { renderList, noteMessage, refreshLists, scheduleRefresh, loadPresence, loadBlocks, entriesChanged } from './list.js'
import * as conversation from './conversation.js'

const STATUS = { connecting: 'Connecting…', open: 'Connected', reconnecting: 'Reconnecting…', closed: 'Disconnected' }

const status = $('status')
const signUpForm = $('sign-up')
const signUpAlert = $('sign-up-error')
const startForm = $('start')
const startAlert = $('start-error')
const listAlert = $('list-error')

/** A call to the example application's own routes (not the plugin's), failing as the client does. */
async function exampleRequest (/** @type {string} */ method, /** @type {string} */ path, /** @type {object | undefined} */ body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (state.session !== null) headers.authorization = `Token ${state.session.token}`
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const answer = await response.json().catch(() => null)
  if (!response.ok) throw new DirectMessagesError(response.status, answer)
  return answer
}

// Signing up, in and out.

/** @param {import('./state.js').Session} session */
function start (session) {
  state.session = session
  state.client = createClient({ baseUrl: location.origin + '/api/dm', token: session.token })
  state.names = storage.loadNames()
  $('signed-out').hidden = true
  $('signed-in').hidden = false
  $('account').hidden = false
  status.hidden = false
  $('whoami').textContent = `Signed in as ${session.username}`
  refreshLists().catch((error) => reportError(listAlert, error))
  loadBlocks().catch((error) => reportError(listAlert, error))
  subscribe()
  route()
}

function signOut (/** @type {string} */ notice = '') {
  state.subscription?.close()
  state.subscription = null
  conversation.closeConversation()
  if (state.session !== null) storage.clear()
  Object.assign(state, { session: null, client: null, entries: new Map(), names: new Map(), presence: new Map(), blocked: new Set() })
  if (location.hash !== '') history.replaceState(null, '', location.pathname + location.search)
  renderList()
  $('signed-in').hidden = true
  $('account').hidden = true
  status.hidden = true
  $('signed-out').hidden = false
  showAlert(signUpAlert, notice)
}

hooks.expire = () => signOut('Your session has ended: sign up again.')

signUpForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  const input = /** @type {HTMLInputElement} */ ($('username'))
  try {
    const user = await exampleRequest('POST', '/users', { username: input.value.trim() })
    const session = { token: user.token, id: user.id, username: user.username }
    storage.saveSession(session)
    input.value = ''
    showAlert(signUpAlert, '')
    start(session)
  } catch (error) {
    showAlert(signUpAlert, messageOf(error))
  }
})

$('sign-out').addEventListener('click', () => signOut())

// Starting a conversation by username.

startForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  const input = /** @type {HTMLInputElement} */ ($('start-with'))
  const username = input.value.trim()
  const session = /** @type {import('./state.js').Session} */ (state.session)
  if (username === session.username) return showAlert(startAlert, 'You cannot message yourself')
  try {
    const user = await exampleRequest('GET', `/users/?username=${encodeURIComponent(username)}`)
    if (key(user.id) === key(session.id)) return showAlert(startAlert, 'You cannot message yourself')
    state.names.set(key(user.id), user.username)
    storage.saveNames()
    input.value = ''
    showAlert(startAlert, '')
    open(key(user.id))
  } catch (error) {
    reportError(startAlert, error)
  }
})

// The URL says which conversation is open, so that a reload (or the browser's Back) keeps it.

function open (/** @type {string} */ id) {
  if (location.hash === `#${encodeURIComponent(id)}`) conversation.openConversation(id)
  else location.hash = encodeURIComponent(id)
}

function route () {
  if (state.session === null) return
  const id = decodeURIComponent(location.hash.slice(1))
  if (id === '') conversation.closeConversation()
  else conversation.openConversation(id)
}

window.addEventListener('hashchange', route)

// The event stream: applied to the list and the open conversation as it comes.

const isOpen = (/** @type {string} */ partner) => state.open?.id === partner

/** @type {import('/client/index.js').EventHandlers} */
const handlers = {
  message (message) {
    const partner = partnerOf(message)
    const seen = isOpen(partner) && document.visibilityState === 'visible'
    noteMessage(message, message.direction === 'in' && !seen)
    if (isOpen(partner)) conversation.receive(message)
  },
  message_updated (message) {
    const partner = partnerOf(message)
    noteMessage(message, false)
    // Read on another device: the counts come from the server.
    const entry = state.entries.get(partner)
    if (message.direction === 'in' && message.read_at !== null && (entry?.unread_count ?? 0) > 0) scheduleRefresh()
    if (isOpen(partner)) conversation.update(message)
  },
  read ({ partner, ids, read_at: readAt }) {
    if (!isOpen(key(partner))) return
    for (const id of ids) {
      const message = state.open.messages.get(id)
      if (message !== undefined && message.read_at === null) conversation.update({ ...message, read_at: readAt })
    }
  },
  deleted ({ id }) {
    if (state.open !== null) conversation.remove(id)
    scheduleRefresh()
  },
  conversation_deleted ({ partner }) {
    state.entries.delete(key(partner))
    entriesChanged()
    if (isOpen(key(partner))) conversation.reloadConversation()
    scheduleRefresh()
  },
  reset: () => reloadAll(),
  typing ({ partner, expires_at: expiresAt }) {
    if (isOpen(key(partner))) conversation.showTyping(expiresAt)
  },
  presence ({ user, online, last_seen_at: lastSeenAt }) {
    state.presence.set(key(user), { online, last_seen_at: lastSeenAt })
    renderList()
    conversation.renderHeader()
  }
}

/** Keeps the stream's position, so that a reload resumes where this page stopped. */
function saveLastEventId () {
  if (state.subscription !== null && state.session !== null) storage.saveLastEventId(state.subscription.lastEventId)
}

function subscribe () {
  const resumeFrom = storage.lastEventId()
  let opened = false
  /** @type {import('/client/index.js').EventHandlers} */
  const saving = {}
  for (const [name, handler] of Object.entries(handlers)) {
    saving[/** @type {keyof typeof handlers} */ (name)] = (/** @type {any} */ data, /** @type {any} */ meta) => {
      handler(data, meta)
      saveLastEventId()
    }
  }
  const subscription = api().subscribe(saving, {
    lastEventId: resumeFrom,
    onStateChange (connection, { error }) {
      if (state.subscription !== subscription) return
      status.textContent = STATUS[connection]
      if (connection === 'open') {
        // Nothing to resume from: what happened before the stream began comes from the pages.
        if (!opened && resumeFrom === undefined) reloadAll()
        // Presence is never replayed: after a reconnection, ask again.
        if (opened) loadPresence([...state.entries.keys(), state.open?.id])
        opened = true
      }
      if (connection === 'closed' && error !== undefined) streamClosed(error)
    },
    onError: (error) => console.error(error)
  })
  state.subscription = subscription
}

/** The stream gave up: a refused token ends the session; a position the server refuses is forgotten. */
function streamClosed (/** @type {any} */ error) {
  if (error?.statusCode === 401) return hooks.expire()
  if (error?.statusCode === 400) {
    storage.saveLastEventId(undefined)
    subscribe()
  }
}

/**
 * Everything again from the pages: after a `reset` (the server no longer holds the stream's
 * position), or when a stream starts with nothing to resume from.
 */
function reloadAll () {
  refreshLists().catch((error) => reportError(listAlert, error))
  loadBlocks().catch((error) => reportError(listAlert, error))
  conversation.reloadConversation()
}

hooks.listChanged = () => {
  conversation.renderHeader()
  // The list can say the open conversation has unread messages (a reload that raced its page).
  conversation.markReadIfVisible()
}

document.addEventListener('visibilitychange', () => conversation.markReadIfVisible())
window.addEventListener('pagehide', saveLastEventId)
setInterval(saveLastEventId, 2000)

const session = storage.loadSession()
if (session !== null) start(session)
else signOut()
