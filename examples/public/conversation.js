/* global document, window, location, AbortController */
/**
 * The open conversation: its header and controls, the message log (older pages on demand), and
 * the composer (send, edit, reply, typing, files). Messages are kept by id, so a message that
 * arrives twice (the send's answer and the stream, or a replay after a reconnection) shows once.
 *
 * Files (Attach, dropped on the conversation, or pasted into the composer) upload as soon as they
 * are chosen, each shown as a pending chip with its progress; Send sends the text with the files
 * uploaded (waiting for those still uploading). A message shows its images as thumbnails linking
 * to the full image, and its other files as links.
 */
import { state, hooks, api, nameOf } from './state.js'
import { $, el, button, showAlert, reportError, formatTime, formatSize, messageOf, newIdempotencyKey } from './dom.js'
import { renderList, noteMessage, entriesChanged, loadPresence, scheduleRefresh } from './list.js'

const EMOJIS = ['👍', '❤️', '😂', '😮', '😢', '🙏']
const PAGE_SIZE = 30
/** The server passes on one typing call per 2 s: sending more often is wasted. */
const TYPING_INTERVAL = 2000
/** How close to the top of the log (px) scrolling loads the older page. */
const NEAR_TOP = 40
const UNSENT = 'This message was unsent'
/** Most files one message carries (the server's limit). */
const MAX_FILES = 10
/** The longest side of a thumbnail the server makes, in px. */
const THUMBNAIL_SIDE = 320

const log = $('messages')
const items = $('message-items')
const olderButton = $('load-older')
const typingLine = $('typing')
const alertBox = $('conversation-error')
const composer = /** @type {HTMLFormElement} */ ($('composer'))
const textbox = /** @type {HTMLTextAreaElement} */ ($('message'))
const pane = $('conversation')
const pendingList = $('pending')
const attachButton = $('attach')
const fileInput = /** @type {HTMLInputElement} */ ($('attach-files'))

/**
 * @typedef {import('./state.js').MessageBody} Message
 * @typedef {Message['attachments'][number]} Attachment
 * @typedef {{
 *   key: number, file: File, name: string, sent: number, upload: 'uploading' | 'uploaded' | 'failed', error: string,
 *   queued: boolean, controller: AbortController, done: Promise<string>
 * }} PendingFile A file chosen for the next message: uploading, uploaded (`done` gives its id) or failed; `queued` once a send took it.
 * @typedef {{
 *   id: string, username: string, messages: Map<number, Message>, articles: Map<number, HTMLElement>,
 *   next: string | null, generation: number, loadingOlder: boolean, marking: boolean, markAgain: boolean,
 *   editing: number | null, replyTo: Message | null, picker: number | null,
 *   typingTimer: ReturnType<typeof setTimeout> | undefined, lastTypingAt: number, pending: PendingFile[]
 * }} Conversation
 */

/** The open conversation (the handlers of its controls only run while there is one). */
const open = () => /** @type {Conversation} */ (state.open)

const report = (/** @type {unknown} */ error) => reportError(alertBox, error)

/** Runs an action of the user, its error shown above the composer. */
async function act (/** @type {() => Promise<unknown>} */ action) {
  try {
    await action()
    showAlert(alertBox, '')
  } catch (error) {
    report(error)
  }
}

export function openConversation (/** @type {string} */ id) {
  if (state.open?.id === id) return
  closeConversation()
  /** @type {Conversation} */
  const conversation = {
    id,
    username: state.names.get(id) ?? `User ${id}`,
    messages: new Map(),
    articles: new Map(),
    next: null,
    generation: 0,
    loadingOlder: false,
    marking: false,
    markAgain: false,
    editing: null,
    replyTo: null,
    picker: null,
    typingTimer: undefined,
    lastTypingAt: 0,
    pending: []
  }
  state.open = conversation
  document.body.classList.add('has-open')
  $('conversation').hidden = false
  $('no-conversation').hidden = true
  renderHeader()
  renderComposer()
  renderList()
  if (!state.presence.has(id)) loadPresence([id])
  return reloadConversation()
}

export function closeConversation () {
  if (state.open === null) return
  clearTimeout(open().typingTimer)
  // Files chosen for this conversation and not taken by a send yet: their uploads stop.
  for (const file of open().pending) if (!file.queued) file.controller.abort()
  state.open = null
  renderPending()
  items.replaceChildren()
  typingLine.textContent = ''
  textbox.value = ''
  showAlert(alertBox, '')
  document.body.classList.remove('has-open')
  $('conversation').hidden = true
  $('no-conversation').hidden = false
  renderList()
}

/** Loads the newest page (which marks the conversation read), keeping what the stream brought meanwhile. */
export async function reloadConversation () {
  const conversation = state.open
  if (conversation === null || state.client === null) return
  const generation = ++conversation.generation
  conversation.loadingOlder = false
  try {
    const page = await api().conversation(conversation.id, { pageSize: PAGE_SIZE })
    if (state.open !== conversation || conversation.generation !== generation) return
    const newest = page.results[0]?.id ?? 0
    const messages = new Map(page.results.map((message) => [message.id, message]))
    for (const [id, message] of conversation.messages) if (id > newest) messages.set(id, message)
    conversation.messages = messages
    conversation.articles.clear()
    items.replaceChildren()
    for (const id of [...messages.keys()].sort((a, b) => a - b)) place(/** @type {Message} */ (messages.get(id)))
    conversation.next = page.next
    olderButton.hidden = page.next === null
    log.scrollTop = log.scrollHeight
    const entry = state.entries.get(conversation.id)
    if (entry !== undefined && entry.unread_count > 0) {
      entry.unread_count = 0
      entriesChanged()
    }
  } catch (error) {
    report(error)
  }
}

/** Loads the next older page, keeping the messages in view where they were. */
async function loadOlder () {
  const conversation = state.open
  if (conversation === null || conversation.next === null || conversation.loadingOlder) return
  const generation = conversation.generation
  conversation.loadingOlder = true
  try {
    const page = await api().follow(conversation.next)
    if (state.open !== conversation || conversation.generation !== generation) return
    const fromBottom = log.scrollHeight - log.scrollTop
    for (const message of /** @type {Message[]} */ (page.results)) {
      if (conversation.messages.has(message.id)) continue
      conversation.messages.set(message.id, message)
      place(message)
    }
    conversation.next = page.next
    olderButton.hidden = page.next === null
    log.scrollTop = log.scrollHeight - fromBottom
  } catch (error) {
    report(error)
  } finally {
    conversation.loadingOlder = false
  }
}

/** A new message of the open conversation (from the stream or a send). */
export function receive (/** @type {Message} */ message) {
  const conversation = open()
  // A replay may bring a message older than the loaded pages: it belongs to a page not loaded yet.
  const oldest = Number(/** @type {HTMLElement | null} */ (items.firstElementChild)?.dataset.id ?? 0)
  if (conversation.next !== null && message.id < oldest) return
  const isNew = !conversation.messages.has(message.id)
  conversation.messages.set(message.id, message)
  place(message)
  if (isNew) log.scrollTop = log.scrollHeight
  if (message.direction === 'in') {
    hideTyping()
    markReadIfVisible()
  }
}

/** A changed message (edit, unsend, reactions, read): replaces it and the previews of its replies. */
export function update (/** @type {Message} */ message) {
  const conversation = open()
  if (conversation.messages.has(message.id)) {
    conversation.messages.set(message.id, message)
    place(message)
  }
  const unsent = message.unsent_at !== null
  updateReplies(message.id, (preview) => ({ ...preview, content: unsent ? '' : message.content.slice(0, 200), unsent }))
}

/** A message the user deleted (here or on another device): gone, and so are the previews of it. */
export function remove (/** @type {number} */ id) {
  const conversation = open()
  conversation.messages.delete(id)
  conversation.articles.get(id)?.remove()
  conversation.articles.delete(id)
  updateReplies(id, () => null)
}

/** @param {number} id @param {(preview: NonNullable<Message['reply_to']>) => Message['reply_to']} change */
function updateReplies (id, change) {
  for (const reply of open().messages.values()) {
    if (reply.reply_to?.id !== id) continue
    reply.reply_to = change(reply.reply_to)
    place(reply)
  }
}

/** Marks the open conversation read when the page is visible and something of it is unread. */
export function markReadIfVisible () {
  const conversation = state.open
  if (conversation === null || state.client === null || document.visibilityState !== 'visible') return
  const entry = state.entries.get(conversation.id)
  const unread = (entry?.unread_count ?? 0) > 0 || [...conversation.messages.values()].some((m) => m.direction === 'in' && m.read_at === null)
  if (!unread) return
  // One call at a time; what arrives meanwhile is marked by one more call after it.
  if (conversation.marking) {
    conversation.markAgain = true
    return
  }
  conversation.marking = true
  conversation.markAgain = false
  api().markRead(conversation.id).catch(report).finally(() => {
    conversation.marking = false
    if (conversation.markAgain && state.open === conversation) markReadIfVisible()
  })
  if (entry !== undefined && entry.unread_count > 0) {
    entry.unread_count = 0
    entriesChanged()
  }
}

export function showTyping (/** @type {string} */ expiresAt) {
  const conversation = open()
  clearTimeout(conversation.typingTimer)
  typingLine.textContent = `${conversation.username} is typing…`
  // Until expires_at; a clock far off from the server's gets the server's 5 s.
  let wait = Date.parse(expiresAt) - Date.now()
  if (!(wait > 0 && wait <= 10_000)) wait = 5000
  conversation.typingTimer = setTimeout(hideTyping, wait)
}

function hideTyping () {
  clearTimeout(state.open?.typingTimer)
  typingLine.textContent = ''
}

/** The partner's name and presence, and the labels of the controls (the action available now). */
export function renderHeader () {
  const conversation = state.open
  if (conversation === null) return
  // The name can arrive after the conversation opened (the list loads): redraw what shows it.
  const username = state.names.get(conversation.id) ?? conversation.username
  if (username !== conversation.username) {
    conversation.username = username
    for (const message of conversation.messages.values()) place(message)
  }
  const entry = state.entries.get(conversation.id)
  const presence = state.presence.get(conversation.id)
  $('partner-name').textContent = username
  $('partner-presence').textContent = presence?.online === true
    ? 'online'
    : presence?.last_seen_at != null ? `last seen ${formatTime(presence.last_seen_at)}` : 'offline'
  $('mute').textContent = entry?.muted === true ? 'Unmute' : 'Mute'
  $('archive').textContent = entry?.archived === true ? 'Unarchive' : 'Archive'
  $('block').textContent = state.blocked.has(conversation.id) ? 'Unblock' : 'Block'
}

function renderComposer () {
  const { editing = null, replyTo = null } = state.open ?? {}
  $('send').textContent = editing !== null ? 'Save' : 'Send'
  $('cancel-edit').hidden = editing === null
  // An edit changes the text only.
  attachButton.hidden = editing !== null
  $('reply-bar').hidden = replyTo === null
  $('reply-text').textContent = replyTo !== null ? `Replying to ${nameOf(replyTo.sender)}` : ''
}

/** Draws a message in id order (oldest first), replacing its previous drawing. */
function place (/** @type {Message} */ message) {
  const articles = open().articles
  const node = article(message)
  const previous = articles.get(message.id)
  if (previous !== undefined) {
    previous.replaceWith(node)
  } else {
    const after = [...items.children].find((child) => Number(/** @type {HTMLElement} */ (child).dataset.id) > message.id)
    items.insertBefore(node, after ?? null)
  }
  articles.set(message.id, node)
}

function article (/** @type {Message} */ message) {
  const { id, reply_to: reply } = message
  const own = message.direction === 'out'
  const unsent = message.unsent_at !== null
  const picking = open().picker === id
  return el('article', { class: own ? 'message own' : 'message', 'aria-label': `Message from ${nameOf(message.sender)}`, 'data-id': id },
    reply !== null && el('p', { class: 'reply-preview' }, `Replying to ${nameOf(reply.sender)}: ${reply.unsent ? UNSENT : reply.content === '' ? '(files)' : reply.content}`),
    (unsent || message.content !== '' || message.attachments.length === 0) && el('p', { class: unsent ? 'content unsent' : 'content' }, unsent ? UNSENT : message.content),
    !unsent && message.attachments.length > 0 && el('ul', { class: 'attachments', 'aria-label': 'Attachments' },
      message.attachments.map((attachment) => el('li', {}, attachmentView(attachment)))),
    el('p', { class: 'meta' },
      el('time', { datetime: message.sent_at }, formatTime(message.sent_at)),
      message.edited_at !== null && el('span', {}, '(edited)'),
      own && el('span', { class: 'receipt' }, message.read_at !== null ? 'Read' : 'Sent')),
    message.reactions.length > 0 && el('div', { class: 'reactions' }, message.reactions.map((reaction) =>
      button(`${reaction.emoji} ${reaction.count}`, () => toggleReaction(id, reaction.emoji), { 'aria-pressed': String(reaction.me) }))),
    el('div', { class: 'actions' },
      button('Reply', () => startReply(id)),
      !unsent && button('React', () => togglePicker(id), { 'aria-expanded': String(picking) }),
      button('Delete for me', () => act(() => deleteForMe(id))),
      own && !unsent && button('Edit', () => startEdit(id)),
      own && !unsent && button('Unsend', () => act(() => unsend(id)))),
    picking && el('div', { class: 'picker', role: 'group', 'aria-label': 'Pick a reaction' },
      EMOJIS.map((emoji) => button(emoji, () => toggleReaction(id, emoji)))))
}

/**
 * A file of a message: an image as its thumbnail (its `alt` the file's name) linking to the full
 * image, any other file as a link named by its name and size. The URLs are signed and expire after
 * an hour: a message drawn from a later page load has fresh ones.
 */
function attachmentView (/** @type {Attachment} */ attachment) {
  const label = `${attachment.name} (${formatSize(attachment.size)})`
  if (attachment.thumbnail_url === null) {
    return el('a', { class: 'attachment-file', href: attachment.url, rel: 'noopener' }, label)
  }
  // The thumbnail's own size, so that the log does not jump as images load.
  const { width, height } = attachment
  const scale = width !== null && height !== null ? Math.min(1, THUMBNAIL_SIDE / Math.max(width, height, 1)) : null
  return el('a', { class: 'attachment-image', href: attachment.url, target: '_blank', rel: 'noopener', title: label },
    el('img', {
      src: attachment.thumbnail_url,
      alt: attachment.name,
      width: scale === null ? undefined : Math.max(1, Math.round(/** @type {number} */ (width) * scale)),
      height: scale === null ? undefined : Math.max(1, Math.round(/** @type {number} */ (height) * scale))
    }))
}

// The actions on a message: each reads the message as it is now (it may have changed since drawn).

function togglePicker (/** @type {number} */ id) {
  const conversation = open()
  const before = conversation.picker
  conversation.picker = before === id ? null : id
  for (const other of [before, id]) {
    const message = other === null ? undefined : conversation.messages.get(other)
    if (message !== undefined) place(message)
  }
  if (conversation.picker !== null) conversation.articles.get(id)?.querySelector('.picker button')?.focus()
}

/** Adds the user's reaction, or takes it back when they already reacted so. */
function toggleReaction (/** @type {number} */ id, /** @type {string} */ emoji) {
  const conversation = open()
  const mine = conversation.messages.get(id)?.reactions.some((reaction) => reaction.emoji === emoji && reaction.me) === true
  if (conversation.picker === id) togglePicker(id)
  return act(async () => {
    const { reactions } = mine ? await api().unreact(id, emoji) : await api().react(id, emoji)
    const message = conversation.messages.get(id)
    if (message !== undefined && state.open === conversation) update({ ...message, reactions })
  })
}

function startReply (/** @type {number} */ id) {
  const conversation = open()
  if (conversation.editing !== null) textbox.value = ''
  conversation.editing = null
  conversation.replyTo = conversation.messages.get(id) ?? null
  renderComposer()
  textbox.focus()
}

function startEdit (/** @type {number} */ id) {
  const conversation = open()
  const message = conversation.messages.get(id)
  if (message === undefined) return
  conversation.editing = id
  conversation.replyTo = null
  textbox.value = message.content
  renderComposer()
  textbox.focus()
}

function stopEditing () {
  if (state.open !== null) open().editing = null
  textbox.value = ''
  renderComposer()
}

function cancelReply () {
  if (state.open !== null) open().replyTo = null
  renderComposer()
}

async function deleteForMe (/** @type {number} */ id) {
  await api().deleteMessage(id)
  if (state.open !== null) remove(id)
  scheduleRefresh() // the list's last message may have been this one
}

async function unsend (/** @type {number} */ id) {
  const conversation = open()
  await api().unsend(id)
  const message = conversation.messages.get(id)
  if (message === undefined || state.open !== conversation) return
  // The stream brings the tombstone too; show it now.
  const tombstone = { ...message, content: '', unsent_at: new Date().toISOString(), reactions: [], reply_to: null, attachments: [] }
  update(tombstone)
  noteMessage(tombstone, false)
}

// The controls of the conversation: each label says what a click does now.

/** Mute/unmute or archive/unarchive: a flag of the user's entry. @param {'muted' | 'archived'} flag */
function toggleFlag (flag, /** @type {() => Promise<void>} */ set, /** @type {() => Promise<void>} */ clear) {
  const entry = state.entries.get(open().id)
  const on = entry?.[flag] === true
  return act(async () => {
    await (on ? clear() : set())
    if (entry !== undefined) entry[flag] = !on
    entriesChanged()
  })
}

$('mute').addEventListener('click', () => toggleFlag('muted', () => api().mute(open().id), () => api().unmute(open().id)))
$('archive').addEventListener('click', () => toggleFlag('archived', () => api().archive(open().id), () => api().unarchive(open().id)))
$('block').addEventListener('click', () => {
  const { id } = open()
  const blocked = state.blocked.has(id)
  return act(async () => {
    await (blocked ? api().unblock(id) : api().block(id))
    if (blocked) state.blocked.delete(id)
    else state.blocked.add(id)
    hooks.listChanged()
  })
})

$('back').addEventListener('click', () => { location.hash = '' })
olderButton.addEventListener('click', () => { loadOlder() })
log.addEventListener('scroll', () => { if (log.scrollTop < NEAR_TOP) loadOlder() })
$('cancel-reply').addEventListener('click', () => { cancelReply(); textbox.focus() })
$('cancel-edit').addEventListener('click', () => { stopEditing(); textbox.focus() })

// Files for the next message: uploaded as soon as they are chosen.

let fileKeys = 0

/** Starts uploading `files` for the open conversation's next message, each shown as a pending chip. */
export function addFiles (/** @type {Iterable<File>} */ files) {
  const conversation = state.open
  if (conversation === null) return
  const chosen = [...files]
  const room = MAX_FILES - conversation.pending.filter((pending) => !pending.queued).length
  if (chosen.length > room) showAlert(alertBox, `A message carries at most ${MAX_FILES} files`)
  for (const file of chosen.slice(0, Math.max(0, room))) {
    const controller = new AbortController()
    // A pasted image may come without a name.
    const name = file.name !== '' ? file.name : `pasted.${file.type.split('/')[1] ?? 'bin'}`
    /** @type {PendingFile} */
    const pending = { key: ++fileKeys, file, name, sent: 0, upload: 'uploading', error: '', queued: false, controller, done: Promise.resolve('') }
    pending.done = api().uploadAttachment(file, {
      name,
      signal: controller.signal,
      onProgress: (sent) => {
        pending.sent = sent
        const bar = pendingList.querySelector(`[data-key="${pending.key}"] progress`)
        if (bar instanceof window.HTMLProgressElement) bar.value = sent
      }
    }).then((uploaded) => {
      pending.upload = 'uploaded'
      if (state.open === conversation) renderPending()
      return uploaded.id
    }, (error) => {
      if (!controller.signal.aborted) {
        pending.upload = 'failed'
        pending.error = messageOf(error)
        if (state.open === conversation) {
          renderPending()
          report(error)
        }
      }
      throw error
    })
    // Its failure shows on its chip; a send waiting on it hears of it too.
    pending.done.catch(() => {})
    conversation.pending.push(pending)
  }
  renderPending()
}

/** Takes a file back before it is sent (stopping its upload). */
function removeFile (/** @type {PendingFile} */ pending) {
  const conversation = state.open
  if (conversation === null) return
  pending.controller.abort()
  conversation.pending = conversation.pending.filter((other) => other !== pending)
  renderPending()
  textbox.focus()
}

/** The pending chips: each file's name and size, its progress while it uploads, a button to take it back. */
function renderPending () {
  const files = state.open?.pending ?? []
  pendingList.replaceChildren(...files.map((pending) => el('li', { class: `chip ${pending.upload}`, 'data-key': pending.key },
    el('span', { class: 'chip-name' }, `${pending.name} (${formatSize(pending.file.size)})`),
    pending.upload === 'uploading' && el('progress', { max: Math.max(pending.file.size, 1), value: pending.sent, 'aria-label': `Uploading ${pending.name}` }),
    pending.upload === 'uploaded' && el('span', { class: 'chip-state' }, pending.queued ? 'Sending…' : 'Uploaded'),
    pending.upload === 'failed' && el('span', { class: 'chip-error' }, `Not uploaded: ${pending.error}`),
    !pending.queued && button('×', () => removeFile(pending), { 'aria-label': `Remove ${pending.name}`, class: 'chip-remove' }))))
  pendingList.hidden = files.length === 0
}

attachButton.addEventListener('click', () => fileInput.click())
fileInput.addEventListener('change', () => {
  addFiles(fileInput.files ?? [])
  // The same file may be chosen again.
  fileInput.value = ''
  textbox.focus()
})

// Files dropped on the conversation; anywhere else on the page they are ignored, rather than opened in place of it.
const carriesFiles = (/** @type {DragEvent} */ event) => event.dataTransfer?.types.includes('Files') === true
pane.addEventListener('dragover', (event) => {
  if (!carriesFiles(event) || state.open === null || state.open.editing !== null) return
  event.preventDefault()
  if (event.dataTransfer !== null) event.dataTransfer.dropEffect = 'copy'
  pane.classList.add('dropping')
})
pane.addEventListener('dragleave', (event) => {
  if (!(event.relatedTarget instanceof window.Node) || !pane.contains(event.relatedTarget)) pane.classList.remove('dropping')
})
pane.addEventListener('drop', (event) => {
  pane.classList.remove('dropping')
  if (!carriesFiles(event) || state.open === null) return
  event.preventDefault()
  addFiles(event.dataTransfer?.files ?? [])
})
window.addEventListener('dragover', (event) => { if (carriesFiles(event)) event.preventDefault() })
window.addEventListener('drop', (event) => { if (carriesFiles(event)) event.preventDefault() })

// Files pasted into the composer (a screenshot, say); text pasted with them still goes in as text.
textbox.addEventListener('paste', (event) => {
  const files = event.clipboardData?.files
  if (files === undefined || files.length === 0 || state.open === null || state.open.editing !== null) return
  if (!event.clipboardData?.types.includes('text/plain')) event.preventDefault()
  addFiles(files)
})

// The composer. Sends go one after another, so that messages keep the order they were written in.

let sending = Promise.resolve()

composer.addEventListener('submit', (event) => {
  event.preventDefault()
  const conversation = state.open
  const content = textbox.value
  if (conversation === null) return
  const editing = conversation.editing
  const files = editing !== null ? [] : conversation.pending.filter((pending) => !pending.queued)
  if (content.trim() === '' && files.length === 0) return
  if (files.some((pending) => pending.upload === 'failed')) {
    return showAlert(alertBox, 'Some files could not be uploaded: remove them, then send again')
  }
  if (editing !== null) {
    return act(async () => {
      const message = await api().edit(editing, content)
      noteMessage(message, false)
      if (state.open !== conversation) return
      update(message)
      stopEditing()
    })
  }
  const options = { replyTo: conversation.replyTo?.id, idempotencyKey: newIdempotencyKey() }
  textbox.value = ''
  cancelReply()
  for (const pending of files) pending.queued = true
  renderPending()
  sending = sending.then(() => act(async () => {
    try {
      // The files still uploading are waited for.
      const attachments = await Promise.all(files.map((pending) => pending.done))
      // Files alone: no text (white space alone is no text either).
      const message = await api().send(conversation.id, content.trim() === '' ? '' : content, { ...options, attachments })
      conversation.pending = conversation.pending.filter((pending) => !files.includes(pending))
      if (state.open === conversation) renderPending()
      noteMessage(message, false)
      if (state.open === conversation) receive(message)
    } catch (error) {
      // Give the text and the files back, so that nothing is lost.
      for (const pending of files) pending.queued = false
      if (state.open === conversation) {
        renderPending()
        if (textbox.value === '') textbox.value = content
      }
      throw error
    }
  }))
})

textbox.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault()
    composer.requestSubmit()
  } else if (event.key === 'Escape') {
    if (state.open?.editing != null) stopEditing()
    else cancelReply()
  }
})

textbox.addEventListener('input', () => {
  const conversation = state.open
  if (conversation === null || conversation.editing !== null || textbox.value.trim() === '') return
  const now = Date.now()
  if (now - conversation.lastTypingAt < TYPING_INTERVAL) return
  conversation.lastTypingAt = now
  // Best effort: a lost typing signal only means no "is typing…" for a moment.
  api().typing(conversation.id).catch(() => {})
})
