// The chat page of the example application in a real browser: two people, each in a browser context
// of their own, signing up, talking and watching each other live, files included, by the accessible
// names and texts the page promises. Every wait is on what a page shows; a failed one saves
// screenshots and says where.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { Locator } from 'playwright-core'
import { RecipientNotAllowed } from '../../src/domain/errors.js'
import type { ExampleAppOptions } from '../../examples/app.js'
import { pdf, png } from '../helpers/attachments.js'
import {
  browserFor, chatPage, literal, scenario, Scene, signUp, startExample, type ChatPage, type Checks, type SignedUpUser
} from '../helpers/browser.js'

/** How long a page may take to get its stream back after the server or the network came back. */
const RECONNECT = 15_000
const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏']

const browser = await browserFor(t)

/** A scenario that says every page of the group behaved: no uncaught error, no dialog. */
/** The example on a fresh database and a scene of browser contexts on it, both closed at the end of `t`. */
async function stage (t: Test, chromium: NonNullable<typeof browser>, options: Omit<ExampleAppOptions, 'prisma'> = {}): Promise<{ server: Awaited<ReturnType<typeof startExample>>, scene: Scene }> {
  const server = await startExample(options)
  const scene = new Scene(chromium, server.base)
  t.teardown(async () => {
    await scene.close()
    await server.close()
  })
  return { server, scene }
}

async function noStrayEvents (t: Test, scene: Scene): Promise<void> {
  await scenario(t, scene, 'no uncaught error and no dialog in any page', async (check) => {
    await check.ok(scene.pageErrors.length === 0, 'no uncaught error in the pages', scene.pageErrors)
    await check.ok(scene.dialogs.length === 0, 'no page opened a dialog', scene.dialogs)
  })
}

/** Makes sure the conversation with `partner` is the one open (a scenario that failed may have left another state). */
async function openWith (check: Checks, p: ChatPage, partner: string): Promise<void> {
  if (!await p.heading(partner).isVisible()) await p.itemButton(partner).click()
  await check.visible(p.heading(partner), `the conversation with ${partner} is open`)
}

/** Types `text` into the composer and presses Send. */
async function send (p: ChatPage, text: string): Promise<void> {
  await p.composer.fill(text)
  await p.sendButton.click()
}

/** Opens the conversation with `partner` through the Start form. */
async function start (p: ChatPage, partner: string): Promise<void> {
  await p.startWith.fill(partner)
  await p.startButton.click()
}

/** Whether the element of `locator` lies (at least partly) inside the viewport and the log's box. */
async function inView (p: ChatPage, locator: Locator): Promise<boolean> {
  const [box, logBox] = await Promise.all([locator.boundingBox(), p.log.boundingBox()])
  const viewport = p.page.viewportSize()
  if (box === null || logBox === null || viewport === null) return false
  const top = Math.max(0, logBox.y)
  const bottom = Math.min(viewport.height, logBox.y + logBox.height)
  return box.y < bottom && box.y + box.height > top
}

/** The alert showing `message` lies above the composer, as the contract places it. */
async function aboveComposer (check: Checks, p: ChatPage, message: string, what: string): Promise<void> {
  await check.until(`${what}: the alert is above the composer`, async () => {
    const [alert, composer] = await Promise.all([p.alert(message).first().boundingBox(), p.composer.boundingBox()])
    return { alert, composer }
  }, ({ alert, composer }) => alert !== null && composer !== null && alert.y + alert.height <= composer.y + 2)
}

if (browser !== null) {
  t.test('two people chatting', async (t) => {
    const { server, scene } = await stage(t, browser)
    const a = chatPage(await scene.open('alice'))
    const b = chatPage(await scene.open('bob'))
    let alice: SignedUpUser | undefined
    let bob: SignedUpUser | undefined

    const signedUp = await scenario(t, scene, 'sign up; a taken or invalid username shows the server\'s message', async (check) => {
      await check.visible(a.username, 'signed out: the Username textbox')
      await check.visible(a.signUpButton, 'signed out: the Sign up button')
      alice = await signUp(a.page, 'alice')
      await check.visible(a.signedInAs('alice'), 'alice: "Signed in as alice"')
      await check.visible(a.signOut, 'alice: a Sign out button')
      await check.visible(a.status('Connected'), 'alice: the stream is Connected')

      await b.username.fill('alice')
      await b.signUpButton.click()
      await check.visible(b.formAlert(b.username, 'The username "alice" is taken', true), 'a taken username: the server\'s 409 message in an alert in (or right under) the form')

      const invalid = await server.api(null, 'POST', '/users', { username: 'no spaces here' })
      const invalidMessage = (invalid.body as { message?: string }).message ?? ''
      await check.ok(invalid.status === 400 && invalidMessage !== '', 'the server refuses the username "no spaces here"', invalid)
      await b.username.fill('no spaces here')
      await b.signUpButton.click()
      await check.visible(b.formAlert(b.username, invalidMessage, true), 'an invalid username: the server\'s 400 message in that alert')

      bob = await signUp(b.page, 'bob')
      await check.visible(b.signedInAs('bob'), 'bob: "Signed in as bob"')
      await check.visible(b.status('Connected'), 'bob: the stream is Connected')
    })
    if (!signedUp || alice === undefined || bob === undefined) return
    const aliceUser = alice
    const bobUser = bob

    await scenario(t, scene, 'start a conversation by username; an unknown name or oneself is refused', async (check) => {
      await start(a, 'nobody')
      await check.visible(a.formAlert(a.startWith, 'No user named "nobody"'), 'an unknown username: the server\'s 404 message in an alert inside the Start form')
      await start(a, 'alice')
      await check.visible(a.formAlert(a.startWith, 'You cannot message yourself'), 'oneself: "You cannot message yourself" in the same alert')
      await start(a, 'bob')
      await check.visible(a.heading('bob'), 'the conversation opens: the heading bob')
      await check.visible(a.log, 'with its Messages log')
      await check.count(a.articles, 0, 'empty: no message yet')
      await check.until('the open partner is in the URL hash', async () => new URL(a.page.url()).hash, (hash) => hash === `#${bobUser.id}`)
    })

    const first = 'Hi bob, lunch today?'
    await scenario(t, scene, 'send: live in the partner\'s list with an unread badge, cleared on open, then Read', async (check) => {
      await openWith(check, a, 'bob')
      await send(a, first)
      const mine = a.message('alice', first)
      await check.visible(mine, 'alice sees her message in the log')
      await check.visible(mine.getByText(/\bSent\b/), 'with the receipt Sent')
      await check.visible(b.item('alice'), 'bob\'s Conversations list gets alice, live')
      await check.visible(b.badge(b.item('alice'), 1), 'with the badge "1 unread"')
      await check.until('the badge\'s visible text is 1', () => b.badge(b.item('alice'), 1).innerText(), (text) => text.trim() === '1')
      await check.visible(b.item('alice').filter({ hasText: first }), 'and the last message\'s text')
      await b.itemButton('alice').click()
      await check.visible(b.heading('alice'), 'bob opens it: the heading alice')
      await check.visible(b.message('alice', first), 'bob sees the message in the Messages log')
      await check.count(b.badge(b.item('alice')), 0, 'opening it clears the badge')
      await check.visible(mine.getByText(/\bRead\b/), 'alice sees Read on her message, live')
      // The read receipt came after the message's own event: a doubled message would be there by now.
      await check.count(mine, 1, 'alice\'s page shows her message once')
      await check.count(b.message('alice', first), 1, 'and bob\'s once')
    })

    await scenario(t, scene, 'typing shows "bob is typing…"; Enter sends, Shift+Enter is a newline', async (check) => {
      await openWith(check, a, 'bob')
      await openWith(check, b, 'alice')
      await b.composer.click()
      await b.composer.pressSequentially('Yes')
      await check.visible(a.typing('bob'), 'alice sees "bob is typing…"')
      await b.composer.press('Shift+Enter')
      await b.composer.pressSequentially('at noon')
      await check.until('Shift+Enter puts a newline in the composer', () => b.composer.inputValue(), (value) => value === 'Yes\nat noon')
      await b.composer.press('Enter')
      await check.visible(a.message('bob', /Yes\s+at noon/), 'Enter sends: alice gets bob\'s message live')
      await check.hidden(a.typing('bob'), 'the typing indicator goes when the message arrives (well before it expires)', 2000)
      const page = await server.api(bobUser.token, 'GET', `/api/dm/conversations/${aliceUser.id}/?mark_read=false`)
      const newest = (page.body as { results?: Array<{ content: string }> }).results?.[0]?.content
      await check.ok(newest === 'Yes\nat noon', 'the message sent holds the newline', newest)
      await check.visible(b.message('bob', /Yes\s+at noon/).getByText(/\bRead\b/), 'alice has the conversation open: bob sees Read')
    })

    const edited = 'Hi bob, lunch tomorrow?'
    await scenario(t, scene, 'edit: (edited) shows live on the other side', async (check) => {
      await openWith(check, a, 'bob')
      await openWith(check, b, 'alice')
      await a.message('alice', first).getByRole('button', { name: 'Edit', exact: true }).click()
      await check.until('Edit puts the message\'s text in the composer', () => a.composer.inputValue(), (value) => value === first)
      await check.visible(a.button('Save'), 'the Send button becomes Save')
      await check.visible(a.button('Cancel edit'), 'a Cancel edit button appears')
      await a.composer.fill(edited)
      await a.button('Save').click()
      await check.visible(b.message('alice', edited).getByText('(edited)'), 'bob sees the new text with (edited), live')
      await check.count(b.message('alice', first), 0, 'bob no longer sees the old text')
      await check.visible(a.message('alice', edited).getByText('(edited)'), 'alice sees it edited')
      await check.hidden(a.button('Cancel edit'), 'saved: Cancel edit goes')
      await check.visible(a.sendButton, 'saved: the button is Send again')
    })

    await scenario(t, scene, 'react: 👍 1 shows live on the other side; clicking toggles', async (check) => {
      await openWith(check, a, 'bob')
      await openWith(check, b, 'alice')
      await b.message('alice', edited).getByRole('button', { name: 'React', exact: true }).click()
      const picker = b.page.getByRole('group', { name: 'Pick a reaction', exact: true }).filter({ visible: true })
      await check.visible(picker, 'React opens the group "Pick a reaction"')
      for (const emoji of REACTIONS) await check.visible(picker.getByRole('button', { name: emoji, exact: true }), `the picker offers ${emoji}`)
      await picker.getByRole('button', { name: '👍', exact: true }).click()
      const bobs = b.message('alice', edited).getByRole('button', { name: '👍 1', exact: true })
      await check.visible(bobs, 'bob sees the reaction button "👍 1"')
      await check.until('pressed for bob, who reacted', () => bobs.getAttribute('aria-pressed'), (value) => value === 'true')
      const alices = a.message('alice', edited).getByRole('button', { name: '👍 1', exact: true })
      await check.visible(alices, 'alice sees "👍 1" live')
      await check.until('not pressed for alice', () => alices.getAttribute('aria-pressed'), (value) => value !== 'true')
      await alices.click()
      const both = a.message('alice', edited).getByRole('button', { name: '👍 2', exact: true })
      await check.visible(both, 'alice\'s click adds hers: "👍 2"')
      await check.until('now pressed for alice', () => both.getAttribute('aria-pressed'), (value) => value === 'true')
      await check.visible(b.message('alice', edited).getByRole('button', { name: '👍 2', exact: true }), 'bob sees "👍 2" live')
      await both.click()
      await check.visible(a.message('alice', edited).getByRole('button', { name: '👍 1', exact: true }), 'a second click takes it back: "👍 1"')
      await check.visible(b.message('alice', edited).getByRole('button', { name: '👍 1', exact: true }), 'bob sees "👍 1" again')
    })

    const reply = 'Tomorrow works for me'
    const preview = new RegExp(`Replying to alice:\\s*${literal(edited)}`)
    await scenario(t, scene, 'reply: "Replying to alice" above the composer, then the preview on both sides', async (check) => {
      await openWith(check, a, 'bob')
      await openWith(check, b, 'alice')
      await b.message('alice', edited).getByRole('button', { name: 'Reply', exact: true }).click()
      await check.visible(b.page.getByText('Replying to alice'), '"Replying to alice" above the composer')
      await check.count(b.log.getByText('Replying to alice'), 0, '(not a preview in the log: there is no reply yet)')
      await check.visible(b.button('Cancel reply'), 'with a Cancel reply button')
      await send(b, reply)
      await check.visible(b.message('bob', reply).filter({ hasText: preview }), `bob's reply shows "Replying to alice: ${edited}"`)
      await check.visible(a.message('bob', reply).filter({ hasText: preview }), 'alice gets the reply live, with its preview')
      await check.hidden(b.button('Cancel reply'), 'sent: the reply banner goes')
    })

    const oops = 'Wrong chat, sorry'
    await scenario(t, scene, 'unsend: "This message was unsent" live on the other side', async (check) => {
      await openWith(check, a, 'bob')
      await openWith(check, b, 'alice')
      await send(a, oops)
      await check.visible(b.message('alice', oops), 'bob gets the message')
      await a.message('alice', oops).getByRole('button', { name: 'Unsend', exact: true }).click()
      await check.visible(b.message('alice', 'This message was unsent'), 'bob sees "This message was unsent", live')
      await check.count(b.message('alice', oops), 0, 'bob no longer sees its text')
      await check.visible(a.message('alice', 'This message was unsent'), 'alice sees it unsent')
      await check.count(a.message('alice', 'This message was unsent').getByRole('button', { name: 'Edit', exact: true }), 0, 'an unsent message offers no Edit')
      await check.count(a.message('alice', 'This message was unsent').getByRole('button', { name: 'Unsend', exact: true }), 0, 'nor Unsend')
    })

    await scenario(t, scene, 'too long: the server\'s message in an alert above the composer', async (check) => {
      await openWith(check, a, 'bob')
      await openWith(check, b, 'alice')
      const long = 'x'.repeat(10_001)
      const refused = await server.api(aliceUser.token, 'POST', `/api/dm/send/${bobUser.id}/`, { content: long })
      const message = (refused.body as { message?: string }).message ?? ''
      await check.ok(refused.status === 400 && message !== '', 'the server refuses 10,001 characters (the default maxContentLength is 10,000)', refused)
      const bobsCount = await b.articles.count()
      await send(a, long)
      await check.visible(a.alert(message), `alice sees the server's message "${message}" in an alert`)
      await aboveComposer(check, a, message, 'too long')
      await check.count(b.articles, bobsCount, 'bob got nothing')
      await a.composer.fill('')
    })

    const payloads = [
      '<img src=x data-xss onerror="window.__xss=1">',
      '<img src=x data-xss onerror=alert(1)>',
      '<script data-xss>window.__xss=2</script>'
    ]
    await scenario(t, scene, 'markup in a message is shown as text, and nothing runs', async (check) => {
      await openWith(check, a, 'bob')
      await openWith(check, b, 'alice')
      const dialogs = scene.dialogs.length
      const requested: string[] = []
      for (const page of [a.page, b.page]) {
        page.on('request', (request) => {
          if (new URL(request.url()).pathname === '/x') requested.push(request.url())
        })
      }
      for (const payload of payloads) {
        await send(a, payload)
        await check.visible(a.message('alice', payload), `alice sees ${payload} as text`)
      }
      for (const [name, p] of [['alice', a], ['bob', b]] as const) {
        for (const payload of payloads) await check.visible(p.message('alice', payload), `${name} sees ${payload} literally`)
        await check.count(p.log.locator('img'), 0, `${name}: no img element inside the log`)
        await check.count(p.page.locator('[data-xss]'), 0, `${name}: no element of the messages' markup anywhere in the page`)
        await check.until(`${name}: every image of the page has loaded or failed`, () => p.page.evaluate('Array.from(document.images).every((image) => image.complete)'), (done) => done === true)
        await check.ok(await p.page.evaluate('typeof window.__xss') === 'undefined', `${name}: window.__xss is unset (no handler ran)`)
      }
      await check.visible(b.item('alice').filter({ hasText: payloads.at(-1) ?? '' }), 'bob\'s list shows the last message as text')
      await check.ok(requested.length === 0, 'no page fetched the img\'s src', requested)
      await check.ok(scene.dialogs.length === dialogs, 'no dialog opened', scene.dialogs)
    })

    await scenario(t, scene, 'a reload of both pages keeps everything', async (check) => {
      const counts = [await a.articles.count(), await b.articles.count()]
      await Promise.all([a.page.reload(), b.page.reload()])
      for (const [index, me, partner, p] of [[0, 'alice', 'bob', a], [1, 'bob', 'alice', b]] as const) {
        await check.visible(p.signedInAs(me), `${me} is still signed in`)
        await check.visible(p.status('Connected'), `${me}: Connected again`)
        await check.visible(p.item(partner), `${me}'s list shows ${partner}`)
        await check.visible(p.heading(partner), `${me}'s conversation with ${partner} is open again`)
        await check.count(p.articles, counts[index] ?? -1, `${me}: the same ${counts[index] ?? -1} messages`)
        await check.visible(p.message('alice', edited).getByText('(edited)'), `${me}: the edit`)
        await check.visible(p.message('alice', edited).getByRole('button', { name: '👍 1', exact: true }), `${me}: the reaction`)
        await check.visible(p.message('bob', reply).filter({ hasText: preview }), `${me}: the reply preview`)
        await check.visible(p.message('alice', 'This message was unsent'), `${me}: the unsent message`)
        await check.visible(p.message('alice', payloads[0] ?? ''), `${me}: the markup, as text`)
      }
    })

    await scenario(t, scene, 'mute: "Muted" in the list, and back', async (check) => {
      await openWith(check, a, 'bob')
      await openWith(check, b, 'alice')
      await b.button('Mute').click()
      await check.visible(b.button('Unmute'), 'the button now says Unmute')
      await check.visible(b.item('alice').getByText(/\bMuted\b/), 'bob\'s list shows alice Muted')
      await check.count(a.item('bob').getByText(/\bMuted\b/), 0, 'alice\'s list does not (the flag is bob\'s own)')
      await b.button('Unmute').click()
      await check.visible(b.button('Mute'), 'unmuted: the button says Mute again')
      await check.count(b.item('alice').getByText(/\bMuted\b/), 0, 'and Muted goes')
    })

    await scenario(t, scene, 'archive: the conversation moves to Show archived, and back', async (check) => {
      await openWith(check, a, 'bob')
      await openWith(check, b, 'alice')
      await b.button('Archive').click()
      await check.visible(b.button('Unarchive'), 'the button now says Unarchive')
      await check.count(b.item('alice'), 0, 'alice leaves bob\'s Conversations list')
      await b.showArchived.check()
      await check.visible(b.item('alice'), 'Show archived lists her')
      await b.itemButton('alice').click()
      await check.visible(b.button('Unarchive'), 'opened from the archived list: Unarchive')
      await b.button('Unarchive').click()
      await check.visible(b.button('Archive'), 'unarchived: the button says Archive again')
      await b.showArchived.uncheck()
      await check.visible(b.item('alice'), 'back in the main list')
    })

    await scenario(t, scene, 'block: the blocked sender sees the server\'s refusal in an alert', async (check) => {
      await openWith(check, a, 'bob')
      await openWith(check, b, 'alice')
      await b.button('Block').click()
      await check.visible(b.button('Unblock'), 'the button now says Unblock')
      const refusal = new RecipientNotAllowed().message
      await send(a, 'Are you there?')
      await check.visible(a.alert(refusal), `alice's send shows "${refusal}" in an alert`)
      await aboveComposer(check, a, refusal, 'refused')
      await check.count(b.message('alice', 'Are you there?'), 0, 'bob got nothing')
      await b.button('Unblock').click()
      await check.visible(b.button('Block'), 'unblocked: the button says Block again')
      await send(a, 'Are you there now?')
      await check.visible(b.message('alice', 'Are you there now?'), 'alice reaches bob again')
    })

    await scenario(t, scene, 'presence: online while the page is open, then offline', async (check) => {
      await openWith(check, b, 'alice')
      const presence = b.heading('alice').locator('xpath=..')
      await check.present(b.item('alice').getByText('online', { exact: true }), 'bob\'s list shows alice online')
      await check.visible(presence.getByText('online', { exact: true }), 'and so does the heading of their conversation')
      await a.page.context().close()
      await check.present(b.item('alice').getByText('offline', { exact: true }), 'alice closed her page: offline in bob\'s list, live')
      await check.visible(presence.getByText(/^\s*(offline|last seen\b.*)$/), 'and "last seen …" or "offline" next to her name')
    })

    await noStrayEvents(t, scene)
  })

  t.test('a server restart and a network drop', async (t) => {
    const { server, scene } = await stage(t, browser)
    const a = chatPage(await scene.open('alice'))
    const b = chatPage(await scene.open('bob'))
    let alice: SignedUpUser | undefined
    let bob: SignedUpUser | undefined
    const texts = ['Before the restart', 'Sent while the server was down', 'After the restart', 'While alice was offline']

    const ready = await scenario(t, scene, 'two people in a conversation', async (check) => {
      alice = await signUp(a.page, 'alice')
      bob = await signUp(b.page, 'bob')
      await start(a, 'bob')
      await send(a, texts[0] ?? '')
      await check.visible(b.item('alice'), 'bob\'s list gets alice')
      await b.itemButton('alice').click()
      await check.visible(b.message('alice', texts[0] ?? ''), 'bob sees the first message')
      await check.visible(a.status('Connected'), 'alice: Connected')
      await check.visible(b.status('Connected'), 'bob: Connected')
    })
    if (!ready || alice === undefined || bob === undefined) return
    const aliceUser = alice
    const bobUser = bob

    await scenario(t, scene, 'server restart: Reconnecting…, Connected, and every message exactly once', async (check) => {
      await server.restart(async (app) => {
        await check.visible(a.status('Reconnecting…'), 'the server is down: alice\'s page says Reconnecting…')
        await check.visible(b.status('Reconnecting…'), 'and bob\'s')
        const sent = await app.inject({
          method: 'POST',
          url: `/api/dm/send/${bobUser.id}/`,
          headers: { authorization: `Token ${aliceUser.token}` },
          payload: { content: texts[1] }
        })
        await check.ok(sent.statusCode === 201, 'alice sends one through the API (another device) while the pages are cut off', sent.body)
      })
      await check.visible(a.status('Connected'), 'the server is back: alice\'s page says Connected', RECONNECT)
      await check.visible(b.status('Connected'), 'and bob\'s', RECONNECT)
      await check.count(b.message('alice', texts[1] ?? ''), 1, 'bob\'s page shows the message sent during the restart, once', RECONNECT)
      await check.count(a.message('alice', texts[1] ?? ''), 1, 'alice\'s page shows it too (sent by her other device), once', RECONNECT)
      await send(a, texts[2] ?? '')
      await check.count(b.message('alice', texts[2] ?? ''), 1, 'a message sent through the page after the restart reaches bob, once')
      for (const [name, p] of [['alice', a], ['bob', b]] as const) {
        await check.count(p.articles, 3, `${name}: three messages in all`)
        for (const text of texts.slice(0, 3)) await check.count(p.message('alice', text), 1, `${name}: "${text}" once`)
      }
    })

    await scenario(t, scene, 'network drop: Reconnecting… while offline, then Connected, nothing lost or doubled', async (check) => {
      const context = a.page.context()
      await context.setOffline(true)
      // Going offline does not end a response already streaming: cut it as a dropped network would.
      await check.ok(server.cutStreams(aliceUser.token) > 0, 'alice\'s event stream is cut')
      await check.visible(a.status('Reconnecting…'), 'alice\'s page says Reconnecting…')
      await send(b, texts[3] ?? '')
      await check.visible(b.message('bob', texts[3] ?? ''), 'bob sends one meanwhile')
      await check.visible(a.status('Reconnecting…'), 'alice, still offline, is still Reconnecting…')
      await context.setOffline(false)
      await check.visible(a.status('Connected'), 'back online: Connected', RECONNECT)
      await check.count(a.message('bob', texts[3] ?? ''), 1, 'alice gets what bob sent meanwhile, once', RECONNECT)
      for (const [name, p] of [['alice', a], ['bob', b]] as const) {
        await check.count(p.articles, 4, `${name}: four messages in all`)
        for (const [index, text] of texts.entries()) await check.count(p.message(index === 3 ? 'bob' : 'alice', text), 1, `${name}: "${text}" once`)
      }
    })

    await noStrayEvents(t, scene)
  })

  t.test('at a phone\'s width', async (t) => {
    const { server, scene } = await stage(t, browser)
    const dave = await server.createUser('dave')
    const c = chatPage(await scene.open('carol', { width: 375, height: 740 }))

    await scenario(t, scene, 'the list, a conversation, and Back, one pane at a time', async (check) => {
      const carol = await signUp(c.page, 'carol')
      await check.visible(c.signedInAs('carol'), 'signed in at 375 px')
      const sent = await server.api(dave.token, 'POST', `/api/dm/send/${carol.id}/`, { content: 'Hello from dave' })
      await check.ok(sent.status === 201, 'dave sends carol a message', sent)
      await check.visible(c.item('dave'), 'the list shows dave')
      await check.visible(c.badge(c.item('dave'), 1), 'with "1 unread"')
      await check.hidden(c.log, 'no conversation shown beside the list')
      await c.itemButton('dave').click()
      await check.visible(c.message('dave', 'Hello from dave'), 'the conversation opens')
      await check.hidden(c.list, 'and takes the whole width: the list is hidden')
      await check.visible(c.button('Back'), 'with a Back button')
      await send(c, 'Replying from my phone')
      await check.visible(c.message('carol', 'Replying from my phone'), 'the composer works')
      const page = await server.api(dave.token, 'GET', `/api/dm/conversations/${carol.id}/?mark_read=false`)
      await check.ok((page.body as { results?: Array<{ content: string }> }).results?.[0]?.content === 'Replying from my phone', 'the server has carol\'s reply', page.body)
      await check.ok(await c.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth') === true, 'nothing overflows 375 px sideways')
      await c.button('Back').click()
      await check.visible(c.item('dave').filter({ hasText: 'Replying from my phone' }), 'Back returns to the list, with the last message')
      await check.hidden(c.log, 'and hides the conversation')
    })

    await noStrayEvents(t, scene)
  })

  t.test('older pages of a long conversation', async (t) => {
    const { server, scene } = await stage(t, browser)
    const frank = await server.createUser('frank')
    const e = chatPage(await scene.open('erin'))
    // More than two pages of the default 50 (and more than the largest page, 100).
    const total = 110
    const label = (n: number): string => `Older message ${String(n).padStart(3, '0')}`

    await scenario(t, scene, 'scrolling up and Load older messages show every message once', async (check) => {
      const erin = await signUp(e.page, 'erin')
      await check.visible(e.signedInAs('erin'), 'erin is signed in')
      for (let n = 1; n <= total; n++) {
        const sent = await server.api(frank.token, 'POST', `/api/dm/send/${erin.id}/`, { content: label(n) })
        if (sent.status !== 201) await check.ok(false, `seeding message ${n}`, sent)
      }
      await check.visible(e.badge(e.item('frank'), total), `erin's list shows frank with "${total} unread"`)
      await e.itemButton('frank').click()
      const newest = e.message('frank', label(total))
      await check.visible(newest, 'the conversation opens with the newest message')
      await check.until('scrolled to the bottom: the newest message is in view', () => inView(e, newest), (seen) => seen)
      const firstCount = await e.articles.count()
      await check.ok(firstCount > 0 && firstCount < total, 'one page at first, not the whole conversation', firstCount)
      await check.count(e.message('frank', label(1)), 0, 'the oldest message is not shown yet')
      const oldestShown = e.message('frank', label(total - firstCount + 1))

      // The log is the element that scrolls (the contract: "scrolling the log to its top").
      await e.log.evaluate((log) => { log.scrollTop = 0 })
      await check.until('scrolling the log to its top loads an older page', () => e.articles.count(), (count) => count > firstCount)
      await check.until('keeping the scroll position: the message that was at the top is still in view', () => inView(e, oldestShown), (seen) => seen)

      const loadOlder = e.button('Load older messages')
      const oldest = e.message('frank', label(1))
      for (let round = 0; round < 5 && await oldest.count() === 0; round++) {
        const before = await e.articles.count()
        await check.visible(loadOlder, 'older messages remain: the Load older messages button is there')
        // The button sits at the top of the log: a real click would first scroll it into view, which
        // loads the page by itself. The click event alone shows that the button does it too.
        await loadOlder.dispatchEvent('click')
        await check.until('Load older messages loads an older page', () => e.articles.count(), (count) => count > before)
      }
      await check.visible(oldest, 'the oldest message appears')
      await check.hidden(loadOlder, 'no older page: Load older messages is gone')
      const shown = await e.articles.allInnerTexts()
      const numbers = shown.map((text) => /Older message (\d{3})/.exec(text)?.[1]).filter((n) => n !== undefined)
      await check.ok(shown.length === total && new Set(numbers).size === total, `all ${total} messages, none twice`, { articles: shown.length, distinct: new Set(numbers).size })
      await check.ok(numbers.every((n, index) => Number(n) === index + 1), 'oldest at the top, newest at the bottom', numbers.slice(0, 5))
    })

    await noStrayEvents(t, scene)
  })

  t.test('files in messages', async (t) => {
    const directory = await mkdtemp(join(tmpdir(), 'dm-browser-attachments-'))
    t.teardown(() => rm(directory, { recursive: true, force: true }))
    const { scene } = await stage(t, browser, { directMessages: { attachmentsDirectory: directory } })
    const a = chatPage(await scene.open('alice'))
    const b = chatPage(await scene.open('bob'))
    const image = await png(120, 80)
    const report = pdf()
    const pending = (p: ChatPage) => p.page.getByRole('list', { name: 'Files to send', exact: true })
    /** The `<img>` named `name` in `scope` has loaded: its pixels are there. */
    const loaded = (check: Checks, scope: Locator, name: string, message: string) => check.until(message,
      () => scope.getByRole('img', { name, exact: true }).first().evaluate((img) => (img as unknown as { complete: boolean, naturalWidth: number }).naturalWidth),
      (width) => width > 0)

    const ready = await scenario(t, scene, 'two people in a conversation', async (check) => {
      await signUp(a.page, 'alice')
      await signUp(b.page, 'bob')
      await start(a, 'bob')
      await check.visible(a.heading('bob'), 'alice opens a conversation with bob')
      await check.visible(a.button('Attach'), 'an Attach button next to the composer')
    })
    if (!ready) return

    await scenario(t, scene, 'Attach: a PNG and a PDF upload with progress, are sent, and show on both sides', async (check) => {
      // The uploads wait at the network until the progress bars were seen: no race with a fast upload.
      let release = (): void => {}
      const gate = new Promise<void>((resolve) => { release = resolve })
      await a.page.route('**/api/dm/attachments/*/upload*', async (route) => {
        await gate
        await route.continue()
      })
      await a.page.locator('input[type="file"]').setInputFiles([
        { name: 'photo.png', mimeType: 'image/png', buffer: image },
        { name: 'report.pdf', mimeType: 'application/pdf', buffer: report }
      ])
      await check.visible(pending(a).getByRole('listitem').filter({ hasText: 'photo.png' }), 'a pending chip for photo.png')
      await check.visible(pending(a).getByRole('listitem').filter({ hasText: 'report.pdf' }), 'and one for report.pdf')
      await check.visible(a.page.getByRole('progressbar', { name: 'Uploading photo.png', exact: true }), 'photo.png shows its upload\'s progress')
      await check.visible(a.page.getByRole('progressbar', { name: 'Uploading report.pdf', exact: true }), 'so does report.pdf')
      release()
      await check.count(a.page.getByRole('progressbar'), 0, 'the uploads complete: no progress bar left')
      await check.count(pending(a).getByText('Uploaded', { exact: true }), 2, 'both chips say Uploaded')
      await a.page.unroute('**/api/dm/attachments/*/upload*')

      await check.until('the composer is empty', () => a.composer.inputValue(), (value) => value === '')
      await a.sendButton.click()
      const mine = a.log.getByRole('article', { name: 'Message from alice', exact: true })
      await check.visible(mine.getByRole('img', { name: 'photo.png', exact: true }), 'Send with no text: alice\'s message shows the image')
      await check.hidden(pending(a), 'the chips are gone once sent')

      await check.visible(b.item('alice'), 'bob\'s list gets alice, live')
      await check.visible(b.item('alice').filter({ hasText: 'photo.png, report.pdf' }), 'with the files\' names as the last message')
      await b.itemButton('alice').click()
      const theirs = b.message('alice', /report\.pdf/)
      await check.visible(theirs.getByRole('img', { name: 'photo.png', exact: true }), 'bob sees the image inline')
      await loaded(check, theirs, 'photo.png', 'bob\'s image has loaded (naturalWidth > 0)')
      const pdfLink = theirs.getByRole('link', { name: /^report\.pdf \(\d+(\.\d)? (B|KB)\)$/ })
      await check.visible(pdfLink, 'and the PDF as a link named by its name and size')

      const imageLink = theirs.getByRole('link', { name: 'photo.png', exact: true })
      const imageHref = await imageLink.evaluate((link) => (link as unknown as { href: string }).href)
      const full = await b.page.request.get(imageHref)
      await check.ok(full.status() === 200 && full.headers()['content-type'] === 'image/png', 'the image\'s link answers 200 image/png', { status: full.status(), headers: full.headers() })
      await check.ok(Buffer.from(await full.body()).equals(image), 'with the bytes alice chose')
      const pdfHref = await pdfLink.evaluate((link) => (link as unknown as { href: string }).href)
      const file = await b.page.request.get(pdfHref)
      await check.ok(file.status() === 200 && file.headers()['content-type'] === 'application/pdf', 'the PDF link answers 200 application/pdf', { status: file.status(), headers: file.headers() })
      await check.ok(/^attachment\b/.test(file.headers()['content-disposition'] ?? ''), 'as a download (Content-Disposition: attachment)', file.headers())
      await check.ok(Buffer.from(await file.body()).equals(report), 'with the bytes alice chose')
      const download = b.page.waitForEvent('download')
      await pdfLink.click()
      await check.ok((await download).suggestedFilename() === 'report.pdf', 'clicking the link downloads report.pdf')

      await loaded(check, mine, 'photo.png', 'alice\'s own image has loaded')
      await check.visible(mine.getByRole('link', { name: /^report\.pdf \(/ }), 'and alice sees the PDF link')
    })

    await scenario(t, scene, 'drop on the conversation, paste into the composer; the partner sees them live', async (check) => {
      // What a drop and a paste hand the page: events carrying files (a test cannot drive the OS's own).
      // (Page scripts are strings here: the tests compile without the DOM's types.)
      await a.page.evaluate(`(() => {
        const dropped = new DataTransfer()
        dropped.items.add(new File(['dropped notes'], 'dropped.txt', { type: 'text/plain' }))
        const log = document.querySelector('[role="log"]')
        for (const type of ['dragenter', 'dragover', 'drop']) log.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dropped }))
        const pasted = new DataTransfer()
        pasted.items.add(new File(['pasted notes'], 'pasted.txt', { type: 'text/plain' }))
        document.querySelector('textarea').dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: pasted }))
      })()`)
      await check.visible(pending(a).getByRole('listitem').filter({ hasText: 'dropped.txt' }), 'a file dropped on the conversation becomes a pending chip')
      await check.visible(pending(a).getByRole('listitem').filter({ hasText: 'pasted.txt' }), 'so does a file pasted into the composer')
      await check.count(pending(a).getByText('Uploaded', { exact: true }), 2, 'both upload')
      await send(a, 'Two notes')
      const live = b.message('alice', 'Two notes')
      await check.visible(live.getByRole('link', { name: 'dropped.txt (13 B)', exact: true }), 'bob gets the message live, with the dropped file')
      await check.visible(live.getByRole('link', { name: 'pasted.txt (12 B)', exact: true }), 'and the pasted one')
    })

    await scenario(t, scene, 'a reload shows the files again, with fresh URLs', async (check) => {
      await b.page.reload()
      await check.visible(b.heading('alice'), 'bob\'s conversation with alice is open again')
      await loaded(check, b.message('alice', /report\.pdf/), 'photo.png', 'the image loads again')
      await check.visible(b.message('alice', 'Two notes').getByRole('link', { name: 'pasted.txt (12 B)', exact: true }), 'and the other files are there')
    })

    await noStrayEvents(t, scene)
  })
}
