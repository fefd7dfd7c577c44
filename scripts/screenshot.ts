/**
 * Writes docs/chat.png: the example's chat page at 1280×800, seen by one of two people in the middle
 * of a short conversation (a reply, reactions, an edit, the partner typing). It runs the example on
 * a temporary SQLite database and drives Chromium (DM_CHROMIUM, default /usr/bin/chromium), waiting
 * each time on what the pages show.
 *
 *   npx tsx scripts/screenshot.ts
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { CHROMIUM, chatPage, chromiumInstalled, launchChromium, signUp, startExample, type ChatPage, type ExampleServer } from '../test/helpers/browser.js'

const WAIT = 10_000
const docs = fileURLToPath(new URL('../docs/', import.meta.url))
const output = `${docs}chat.png`

/** Sends `text` from the page of `sender`, and waits until it is in their log. */
async function send (p: ChatPage, sender: string, text: string): Promise<void> {
  await p.composer.fill(text)
  await p.sendButton.click()
  await p.message(sender, text).waitFor({ timeout: WAIT })
}

/** A page signed up as `name`, at 1280×800. */
async function open (browser: Browser, server: ExampleServer, name: string): Promise<ChatPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  context.setDefaultTimeout(WAIT)
  const page = await context.newPage()
  await page.goto(`${server.base}/`)
  const p = chatPage(page)
  await signUp(page, name)
  await p.signedInAs(name).waitFor()
  return p
}

async function reactTo (p: ChatPage, sender: string, text: string, emoji: string): Promise<void> {
  const message = p.message(sender, text)
  await message.getByRole('button', { name: 'React', exact: true }).click()
  await p.page.getByRole('group', { name: 'Pick a reaction', exact: true }).filter({ visible: true })
    .getByRole('button', { name: emoji, exact: true }).click()
  await message.getByRole('button', { name: `${emoji} 1`, exact: true }).waitFor({ timeout: WAIT })
}

async function main (): Promise<void> {
  if (!chromiumInstalled()) throw new Error(`no Chromium at ${CHROMIUM} (install chromium, or set DM_CHROMIUM)`)
  let server: ExampleServer | undefined
  let browser: Browser | undefined
  try {
    server = await startExample()
    browser = await launchChromium()
    const ana = await open(browser, server, 'ana')
    const ben = await open(browser, server, 'ben')

    await ana.startWith.fill('ben')
    await ana.startButton.click()
    await ana.heading('ben').waitFor()
    const plan = 'Hi Ben! Are we still on for climbing on Saturday?'
    await send(ana, 'ana', plan)

    await ben.itemButton('ana').click()
    await ben.message('ana', plan).waitFor()
    await ben.message('ana', plan).getByRole('button', { name: 'Reply', exact: true }).click()
    const answer = 'Yes! 10 am at the usual wall?'
    await send(ben, 'ben', answer)
    await ana.message('ben', answer).waitFor()
    // ❤️ has a glyph in the common text fonts; most other emoji need a colour-emoji font installed.
    await reactTo(ana, 'ben', answer, '❤️')

    const offer = 'Perfect, I’ll bring the rope.'
    await send(ana, 'ana', offer)
    await ana.message('ana', offer).getByRole('button', { name: 'Edit', exact: true }).click()
    const edited = 'Perfect, I’ll bring the rope and some snacks.'
    await ana.composer.fill(edited)
    await ana.button('Save').click()
    await ben.message('ana', edited).getByText('(edited)').waitFor()
    await reactTo(ben, 'ana', edited, '❤️')
    await ana.message('ana', edited).getByRole('button', { name: '❤️ 1', exact: true }).waitFor()

    // Ben starts typing, and does not send: ana sees it. The server passes a typing signal on at most
    // once in 2 s, so a keystroke that came too soon after his last one shows nothing: keep typing
    // until ana's page says so.
    await ben.composer.click()
    const draft = 'Great, see you there'
    let shown = false
    for (let typed = 0; typed < draft.length && !shown; typed++) {
      await ben.composer.pressSequentially(draft.charAt(typed))
      shown = await ana.typing('ben').waitFor({ timeout: 500 }).then(() => true, () => false)
    }
    if (!shown) await ana.typing('ben').waitFor({ timeout: 3000 })

    mkdirSync(docs, { recursive: true })
    await ana.page.screenshot({ path: output })
    console.log(`wrote ${output}`)
  } finally {
    await browser?.close()
    await server?.close()
  }
}

await main()
