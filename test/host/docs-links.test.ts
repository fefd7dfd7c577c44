// The documentation holds together: every Markdown link and image of README.md, CONTRIBUTING.md and
// docs/*.md resolves — a relative target exists in the repository, a #anchor names a heading of its
// file (GitHub's slugs), an http(s) address is a well-formed URL (not fetched: no network) — and the
// README stays a front door of at most 350 lines. Links are read with marked's lexer (so code blocks
// and code spans are not links) and anchors computed with github-slugger, as GitHub does.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import GithubSlugger from 'github-slugger'
import { Lexer, walkTokens, type Token } from 'marked'
import t from 'tap'

const root = fileURLToPath(new URL('../..', import.meta.url))
const README_MAX_LINES = 350

/** The documents checked, as paths relative to the repository root. */
const documents = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)
]

const read = (path: string): string => readFileSync(join(root, path), 'utf8')

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' }
/** Markdown text keeps HTML entities as written; GitHub slugs the text they stand for. */
const decodeEntities = (text: string): string =>
  text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity: string, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16))
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10))
    return ENTITIES[name.toLowerCase()] ?? entity
  })

/** A heading's text as GitHub renders it: code spans' text, links' text, no markup or inline HTML. */
function plainText (tokens: Token[]): string {
  return tokens.map((token): string => {
    if ('tokens' in token && Array.isArray(token.tokens) && token.tokens.length > 0) return plainText(token.tokens)
    switch (token.type) {
      case 'text': return decodeEntities(token.text)
      case 'codespan': case 'escape': return token.text
      case 'br': return ' '
      default: return '' // html, image
    }
  }).join('')
}

const anchorCache = new Map<string, Set<string>>()
/** The anchors GitHub gives the headings of a Markdown file (duplicates get -1, -2...). */
function anchorsOf (path: string): Set<string> {
  const cached = anchorCache.get(path)
  if (cached !== undefined) return cached
  const slugger = new GithubSlugger()
  const anchors = new Set<string>()
  walkTokens(Lexer.lex(read(path)), (token) => {
    if (token.type === 'heading') anchors.add(slugger.slug(plainText(token.tokens ?? [])))
  })
  anchorCache.set(path, anchors)
  return anchors
}

interface Link { kind: 'link' | 'image', text: string, href: string, raw: string, line: number }

/** Every link and image of a Markdown document, in document order, with its line. */
function linksOf (path: string): Link[] {
  const source = read(path)
  const links: Link[] = []
  let cursor = 0
  walkTokens(Lexer.lex(source), (token) => {
    if (token.type !== 'link' && token.type !== 'image') return
    let at = source.indexOf(token.raw, cursor)
    if (at === -1) at = source.indexOf(token.raw)
    else cursor = at + token.raw.length
    const line = at === -1 ? 0 : source.slice(0, at).split('\n').length
    links.push({ kind: token.type, text: token.text, href: token.href, raw: token.raw, line })
  })
  return links
}

/** What `href`, found in document `from`, points at, and why it does not resolve (no `problem`: it does). */
function problemOf (from: string, href: string): { target: string, problem?: string } {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) {
    let url: URL
    try {
      url = new URL(href)
    } catch {
      return { target: href, problem: 'not a well-formed URL' }
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { target: href, problem: `scheme ${url.protocol} is neither http: nor https:` }
    if (url.hostname === '') return { target: href, problem: 'no host' }
    return { target: url.href }
  }
  if (href === '') return { target: href, problem: 'empty target' }
  const hash = href.indexOf('#')
  const pathPart = hash === -1 ? href : href.slice(0, hash)
  let anchor: string | undefined
  let path: string
  try {
    anchor = hash === -1 ? undefined : decodeURIComponent(href.slice(hash + 1))
    path = decodeURIComponent(pathPart)
  } catch {
    return { target: href, problem: 'not valid percent-encoding' }
  }
  if (path.startsWith('/')) return { target: href, problem: 'an absolute path: write it relative to the document' }
  if (path.includes('?')) return { target: href, problem: 'a query string on a file of the repository' }
  let file = from
  if (path !== '') {
    const absolute = resolve(root, dirname(from), path)
    file = relative(root, absolute).split(sep).join('/')
    if (file === '..' || file.startsWith('../')) return { target: file, problem: 'outside the repository' }
    if (statSync(absolute, { throwIfNoEntry: false }) === undefined) return { target: file === '' ? '.' : file, problem: 'no such file' }
  }
  const target = anchor === undefined ? file : `${file}#${anchor}`
  if (anchor === undefined) return { target }
  if (!file.endsWith('.md')) return { target, problem: 'an anchor into a file that is not Markdown' }
  if (anchor === '') return { target, problem: 'an empty anchor' }
  if (!anchorsOf(file).has(anchor)) return { target, problem: `no heading of ${file} has the anchor #${anchor}` }
  return { target }
}

for (const document of documents) {
  t.test(`${document}: every link resolves`, async (t) => {
    const links = linksOf(document)
    t.ok(links.length > 0, `${document} has links`)
    for (const link of links) {
      const { target, problem } = problemOf(document, link.href)
      const where = `${document}:${link.line} ${link.kind} ${link.raw}`
      t.ok(problem === undefined, problem === undefined ? `${where} -> ${target}` : `${where} -> ${target}: ${problem}`)
    }
  })
}

t.test('the README is the front door', async (t) => {
  const readme = read('README.md')
  const lines = readme.split('\n').length - (readme.endsWith('\n') ? 1 : 0)
  t.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines, at most ${README_MAX_LINES}`)
  const linked = new Set(linksOf('README.md').map((link) => problemOf('README.md', link.href).target))
  for (const document of documents.filter((path) => path.startsWith('docs/'))) {
    t.ok(linked.has(document), `README.md links to ${document}`)
  }
})
