/* global document, location, HTMLElement, CSS */
/**
 * The conversation list: both lists (main and archived) are loaded, and the checkbox picks which
 * one shows. Live events update the entries in place; anything they cannot tell (a new partner's
 * username, the message before a deleted one) is asked of the server again, shortly after.
 */
import { state, hooks, key, partnerOf, storage } from './state.js'
import { $, el, reportError } from './dom.js'

const list = $('conversations')
const empty = $('list-empty')
const listAlert = $('list-error')

/** Changes made to the entries by events: a reload that overlapped one is done again. */
let changes = 0
let refreshSequence = 0
/** @type {ReturnType<typeof setTimeout> | undefined} */
let refreshTimer

/** @param {import('./state.js').ConversationBody} a @param {import('./state.js').ConversationBody} b */
const byActivity = (a, b) => (b.last_message?.id ?? 0) - (a.last_message?.id ?? 0)

export function renderList () {
  const focused = document.activeElement instanceof HTMLElement && list.contains(document.activeElement) ? document.activeElement.dataset.id : undefined
  const shown = [...state.entries.values()].filter((entry) => entry.archived === state.showArchived).sort(byActivity)
  list.replaceChildren(...shown.map(item))
  empty.hidden = shown.length > 0
  empty.textContent = state.showArchived ? 'No archived conversations.' : 'No conversations yet.'
  // A redraw must not take the focus away from the keyboard user.
  if (focused !== undefined) list.querySelector(`button[data-id="${CSS.escape(focused)}"]`)?.focus()
}

/** One entry: a single button (its name starts with the username) that opens the conversation. */
function item (/** @type {import('./state.js').ConversationBody} */ entry) {
  const id = key(entry.id)
  const last = entry.last_message
  const online = state.presence.get(id)?.online === true
  const unread = entry.unread_count
  return el('li', {},
    el('button', {
      type: 'button',
      class: 'entry',
      'data-id': id,
      'aria-current': state.open?.id === id ? 'true' : undefined,
      onclick: () => { location.hash = encodeURIComponent(id) }
    },
    el('span', { class: 'entry-name' }, entry.username),
    el('span', { class: online ? 'dot online' : 'dot' }, el('span', { class: 'visually-hidden' }, online ? 'online' : 'offline')),
    entry.muted && el('span', { class: 'muted-flag' }, 'Muted'),
    unread > 0 && el('span', { class: 'badge', 'aria-label': `${unread} unread` }, String(unread)),
    el('span', { class: 'entry-last' }, last === null ? '' : last.unsent_at !== null ? 'This message was unsent' : preview(last))))
}

/** The text of a last message; one that is only files shows their names. */
function preview (/** @type {import('./state.js').MessageBody} */ message) {
  if (message.content !== '' || message.attachments.length === 0) return message.content
  return `📎 ${message.attachments.map((attachment) => attachment.name).join(', ')}`
}

/**
 * Applies a message to its partner's entry: a newer one becomes the last message (and brings an
 * archived conversation back, as the server does), counted unread when `unread`; a repeat of the
 * last one replaces it. A partner without an entry yet makes the list reload.
 */
export function noteMessage (/** @type {import('./state.js').MessageBody} */ message, /** @type {boolean} */ unread) {
  const entry = state.entries.get(partnerOf(message))
  if (entry === undefined) return scheduleRefresh()
  const last = entry.last_message
  if (last === null || message.id > last.id) {
    entry.last_message = message
    entry.archived = false
    if (unread) entry.unread_count++
  } else if (last.id === message.id) {
    entry.last_message = message
  } else {
    return
  }
  entriesChanged()
}

/** Call after changing an entry in place. */
export function entriesChanged () {
  changes++
  renderList()
  hooks.listChanged()
}

/** Reloads both lists and the presence of their partners. */
export async function refreshLists () {
  const client = state.client
  if (client === null) return
  const sequence = ++refreshSequence
  const seen = changes
  const [main, archived] = await Promise.all([client.conversations({ pageSize: 100 }), client.conversations({ archived: true, pageSize: 100 })])
  // A later reload, or a sign-out, overtook this one.
  if (sequence !== refreshSequence || client !== state.client) return
  state.entries = new Map([...main.results, ...archived.results].map((entry) => [key(entry.id), entry]))
  for (const entry of state.entries.values()) state.names.set(key(entry.id), entry.username)
  storage.saveNames()
  listAlert.hidden = true
  renderList()
  hooks.listChanged()
  if (changes !== seen) scheduleRefresh()
  await loadPresence([...state.entries.keys(), state.open?.id])
}

/** Reloads the lists soon (several events in a row cost one reload). */
export function scheduleRefresh () {
  clearTimeout(refreshTimer)
  refreshTimer = setTimeout(() => { refreshLists().catch((error) => reportError(listAlert, error)) }, 200)
}

/** Asks whether these users are online (the stream only tells changes). A failure only leaves the dots as they were. */
export async function loadPresence (/** @type {Array<string | undefined>} */ ids) {
  const client = state.client
  const wanted = [...new Set(ids.filter((id) => id !== undefined))].slice(0, 100)
  if (client === null || wanted.length === 0) return
  try {
    for (const answer of await client.presence(wanted)) {
      state.presence.set(key(answer.id), { online: answer.online, last_seen_at: answer.last_seen_at })
    }
  } catch (error) {
    if (/** @type {any} */ (error)?.statusCode === 401) hooks.expire()
    return
  }
  renderList()
  hooks.listChanged()
}

/** Loads the users the user blocks (the Block/Unblock button shows which). */
export async function loadBlocks () {
  const client = state.client
  if (client === null) return
  const blocked = new Set()
  for await (const partner of client.items(client.blocks({ pageSize: 100 }))) blocked.add(key(partner.id))
  if (client !== state.client) return
  state.blocked = blocked
  hooks.listChanged()
}

$('show-archived').addEventListener('change', (event) => {
  state.showArchived = /** @type {HTMLInputElement} */ (event.target).checked
  renderList()
  refreshLists().catch((error) => reportError(listAlert, error))
})
