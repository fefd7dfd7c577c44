/* global document, crypto */
/** Small DOM helpers. Server and user text only ever goes in as text nodes, never as HTML. */
import { hooks } from './state.js'

export const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id))

/**
 * Creates an element. `props` are attributes (false, null and undefined leave one out) and `on…`
 * listeners; `children` are nodes or strings (appended as text).
 *
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node | string | false | null | undefined | Array<Node | string | false | null | undefined>)} children
 */
export function el (tag, props = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), /** @type {EventListener} */ (value))
    else node.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat()) if (child !== undefined && child !== null && child !== false) node.append(child)
  return node
}

/** A `type="button"` button. */
export const button = (/** @type {string} */ label, /** @type {() => unknown} */ onclick, props = {}) => el('button', { type: 'button', onclick, ...props }, label)

/** Shows `message` in an alert element (hidden while empty, so that only real alerts are announced). */
export function showAlert (/** @type {HTMLElement} */ alert, /** @type {string} */ message) {
  alert.textContent = message
  alert.hidden = message === ''
}

/** What to tell the user about a failed call. */
export function messageOf (/** @type {any} */ error) {
  if (typeof error?.statusCode === 'number') return error.message
  if (error instanceof TypeError) return 'The server cannot be reached: check the connection and try again.'
  return String(error?.message ?? error)
}

/** Shows a failed call's error where the user acted; a refused token ends the session instead. */
export function reportError (/** @type {HTMLElement} */ alert, /** @type {any} */ error) {
  if (error?.statusCode === 401) return hooks.expire()
  if (typeof error?.statusCode !== 'number') console.error(error)
  showAlert(alert, messageOf(error))
}

/** A time of today as `14:05`, of another day with its date too. */
export function formatTime (/** @type {string} */ iso) {
  const date = new Date(iso)
  const today = date.toDateString() === new Date().toDateString()
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  return today ? time : `${date.toLocaleDateString()} ${time}`
}

/** A size in bytes as people read it: `812 B`, `1.2 KB`, `34 MB`. */
export function formatSize (/** @type {number} */ bytes) {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`
}

/** A key that makes a send safe to retry (randomUUID needs a secure context: fall back on random bytes). */
export function newIdempotencyKey () {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('')
}
