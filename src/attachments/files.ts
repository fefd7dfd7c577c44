/**
 * What an uploaded file is, and what an image looks like: the checks the plugin makes on an
 * attachment's bytes before a message may carry it.
 *
 * A client declares a file's type (its Content-Type); the plugin keeps that type only when the
 * file's first bytes agree with it ({@link sniff}, {@link typeAgrees}), so that no file is served
 * under a type it is not (an HTML page declared `image/png` is refused). Only a few image types
 * are ever served `inline` ({@link contentDisposition}); everything else is a download. A file's
 * name is display text only: the plugin never uses it as a path.
 */
import { fileTypeFromBuffer } from 'file-type'
import sharp from 'sharp'
import formatDisposition from 'content-disposition'

/**
 * The types the plugin accepts when the application does not say: common images, PDF, plain
 * text, audio, video, office documents and zip archives. Neither `image/svg+xml` nor `text/html`
 * (a browser runs their scripts).
 */
export const DEFAULT_ATTACHMENT_TYPES: readonly string[] = Object.freeze([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/heic',
  'application/pdf',
  'text/plain',
  'audio/*',
  'video/*',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/zip'
])

/** How many first bytes of a file {@link sniff} looks at (what file-type needs). */
export const SNIFF_BYTES = 4100

/** The longest side of a thumbnail, in pixels ({@link processImage}). */
export const THUMBNAIL_MAX_SIDE = 320

/** The most pixels (width × height) of an image {@link processImage} decodes: larger ones are refused. */
const MAX_INPUT_PIXELS = 100_000_000

/** The types served `inline` (shown by the browser); every other type is served as a download. */
export const INLINE_TYPES: readonly string[] = Object.freeze(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif'])
const inlineTypes = new Set(INLINE_TYPES)

// RFC 6838 restricted-name: a letter or digit, then at most 126 of letters, digits and !#$&-^_.+
const NAME = '[a-z0-9][a-z0-9!#$&^_.+-]{0,126}'
const MEDIA_TYPE = new RegExp(`^${NAME}/${NAME}$`)
const WILDCARD = new RegExp(`^(?:${NAME}|\\*)/\\*$`)
// RFC 9110 parameters: *( OWS ";" OWS [ token "=" ( token / quoted-string ) ] )
const TOKEN = "[!#$%&'*+.^_`|~0-9a-z-]+"
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"'
const PARAMETERS = new RegExp(`^(?:[ \\t]*;[ \\t]*(?:${TOKEN}=(?:${TOKEN}|${QUOTED}))?)*[ \\t]*$`, 'i')

/**
 * A declared Content-Type as a lowercase `type/subtype`, its parameters dropped (they must be
 * well-formed); null when `value` is not a media type (RFC 6838 names, so no wildcard).
 */
export function parseMediaType (value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 1024) return null
  const semicolon = value.indexOf(';')
  const essence = (semicolon === -1 ? value : value.slice(0, semicolon)).replace(/^[ \t]+|[ \t]+$/g, '').toLowerCase()
  if (essence.length > 255 || !MEDIA_TYPE.test(essence)) return null
  if (semicolon !== -1 && !PARAMETERS.test(value.slice(semicolon))) return null
  return essence
}

/**
 * Other names of one type, by the name it is stored and matched as: what browsers and operating
 * systems declare for the same files (`image/jpg`, `audio/mp3`, `application/x-zip-compressed`
 * from Windows...) and what file-type answers (`audio/x-m4a`, `audio/wav`, `video/vnd.avi`...).
 */
const ALIASES = new Map<string, string>([
  ['image/jpg', 'image/jpeg'],
  ['image/pjpeg', 'image/jpeg'],
  ['image/x-png', 'image/png'],
  ['image/x-ms-bmp', 'image/bmp'],
  ['image/x-bmp', 'image/bmp'],
  ['image/vnd.microsoft.icon', 'image/x-icon'],
  ['audio/mp3', 'audio/mpeg'],
  ['audio/mpeg3', 'audio/mpeg'],
  ['audio/x-mp3', 'audio/mpeg'],
  ['audio/x-mpeg', 'audio/mpeg'],
  ['audio/x-mpeg-3', 'audio/mpeg'],
  ['audio/x-wav', 'audio/wav'],
  ['audio/wave', 'audio/wav'],
  ['audio/vnd.wave', 'audio/wav'],
  ['audio/x-pn-wav', 'audio/wav'],
  ['audio/x-m4a', 'audio/mp4'],
  ['audio/m4a', 'audio/mp4'],
  ['audio/x-aac', 'audio/aac'],
  ['audio/x-flac', 'audio/flac'],
  ['audio/x-aiff', 'audio/aiff'],
  ['audio/mid', 'audio/midi'],
  ['audio/x-midi', 'audio/midi'],
  ['video/x-msvideo', 'video/vnd.avi'],
  ['video/avi', 'video/vnd.avi'],
  ['video/msvideo', 'video/vnd.avi'],
  ['video/x-matroska', 'video/matroska'],
  ['audio/x-matroska', 'audio/matroska'],
  ['application/x-zip-compressed', 'application/zip'],
  ['application/x-gzip', 'application/gzip']
])

/**
 * `type` (a media type, or a `Content-Type` value) as the plugin stores and matches it: lowercase,
 * without parameters, an alias replaced by its usual name (`image/jpg` → `image/jpeg`,
 * `audio/x-wav` → `audio/wav`, `application/x-zip-compressed` → `application/zip`); null when
 * it is not a media type.
 */
export function canonicalType (type: unknown): string | null {
  const parsed = parseMediaType(type)
  return parsed === null ? null : (ALIASES.get(parsed) ?? parsed)
}

/**
 * Whether `type` is one of `patterns`: the same type (aliases are the same type: `image/jpg` is
 * `image/jpeg`; case and parameters do not count), a `type/*` wildcard of its type, or the
 * wildcard of all types (star, slash, star).
 */
export function typeAllowed (type: string, patterns: readonly string[]): boolean {
  const canonical = canonicalType(type)
  if (canonical === null) return false
  const topLevel = canonical.slice(0, canonical.indexOf('/') + 1)
  return patterns.some((pattern) => {
    const p = pattern.trim().toLowerCase()
    if (p === '*/*') return true
    if (p.endsWith('/*')) return p.slice(0, -1) === topLevel
    return canonicalType(p) === canonical
  })
}

/**
 * Checks the option listing the accepted types, at start-up: null when `patterns` is a non-empty
 * array of media types (`image/png`, no parameters) and wildcards (`image/*`, or star, slash,
 * star for all types); else a message naming the first wrong entry.
 */
export function checkTypePatterns (patterns: unknown): string | null {
  const expected = 'media types like "image/png" or wildcards like "image/*"'
  if (!Array.isArray(patterns) || patterns.length === 0) return `must be a non-empty array of ${expected}`
  for (const [index, pattern] of patterns.entries()) {
    const p = typeof pattern === 'string' ? pattern.toLowerCase() : null
    if (p === null || !(MEDIA_TYPE.test(p) || WILDCARD.test(p))) {
      const shown = typeof pattern === 'string' ? JSON.stringify(pattern.length > 60 ? `${pattern.slice(0, 60)}…` : pattern) : pattern === null ? 'null' : typeof pattern
      return `entry ${index} (${shown}) is not one of ${expected}`
    }
  }
  return null
}

/**
 * The type of a file by its first bytes (at most {@link SNIFF_BYTES} of `head` are read), as
 * file-type finds it, lowercase and without parameters. A head file-type does not know is either
 * text (undefined), or, when it holds a NUL byte, `application/octet-stream` (binary of no known
 * type: never text).
 */
export async function sniff (head: Buffer): Promise<string | undefined> {
  const bytes = head.subarray(0, SNIFF_BYTES)
  let found: string | undefined
  try {
    found = (await fileTypeFromBuffer(bytes))?.mime
  } catch {
    found = undefined
  }
  if (found !== undefined) return parseMediaType(found) ?? found.toLowerCase()
  return bytes.includes(0) ? 'application/octet-stream' : undefined
}

/**
 * Types that are the same kind of file, though named apart: one container holds sound or
 * pictures, or file-type names a family by its brand (`audio/x-m4a`, `video/mp4`,
 * `video/quicktime` are all ISO media files; `image/heif` is what an iPhone's `.heic` may be).
 */
const FAMILIES: ReadonlyArray<readonly string[]> = [
  ['video/mp4', 'audio/mp4', 'video/x-m4v', 'video/quicktime', 'application/mp4'],
  ['video/3gpp', 'audio/3gpp'],
  ['video/3gpp2', 'audio/3gpp2'],
  ['video/webm', 'audio/webm'],
  ['video/matroska', 'audio/matroska'],
  ['audio/ogg', 'video/ogg', 'application/ogg', 'audio/opus'],
  ['video/mpeg', 'video/mp1s', 'video/mp2p'],
  ['video/x-ms-asf', 'audio/x-ms-asf', 'application/vnd.ms-asf', 'video/x-ms-wmv', 'audio/x-ms-wma'],
  ['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence'],
  ['image/png', 'image/apng']
]
const familyOf = new Map<string, number>(FAMILIES.flatMap((family, index) => family.map((type) => [type, index] as const)))

/** Old Office documents: file-type says `application/x-cfb` (the compound file they all are). */
const COMPOUND_FILE_TYPES = new Set(['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint'])

/** Office documents that are zip archives, which file-type may only see as `application/zip` in a head. */
const ZIP_OFFICE_TYPES = new Set([
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation'
])

/** Whether file-type's `sniffed` is an archive in zip format (a document, a package, a book...). */
function isZipBased (sniffed: string): boolean {
  return sniffed === 'application/zip' ||
    sniffed.startsWith('application/vnd.openxmlformats-officedocument.') ||
    sniffed.startsWith('application/vnd.oasis.opendocument.') ||
    /^application\/vnd\.ms-[a-z]+\.[a-z.]*macroenabled\.12$/.test(sniffed) ||
    ['application/epub+zip', 'application/java-archive', 'application/vnd.android.package-archive', 'application/x-xpinstall', 'model/3mf'].includes(sniffed)
}

/** Declared types whose files are text, and so have no signature. */
const TEXT_TYPES = new Set(['text/plain', 'text/csv', 'text/markdown'])
/** Text formats file-type recognises by their first words: still text, kept as text. */
const TEXT_SNIFFS = new Set(['application/xml', 'text/calendar', 'text/vcard', 'text/vtt'])

/**
 * Whether bytes that {@link sniff} found to be `sniffed` may be stored as `declared`:
 * - the same type, or aliases of one type (`image/jpg` and `image/jpeg`, `audio/x-wav` and `audio/wav`);
 * - one kind of container named two ways (`audio/mp4`, `audio/x-m4a`, `video/mp4`, `video/quicktime`;
 *   `audio/webm` and `video/webm`; `audio/ogg`, `video/ogg`, `audio/opus`; `image/heic` and `image/heif`;
 *   `image/png` and `image/apng`);
 * - old Word, Excel and PowerPoint files for `application/x-cfb`;
 * - a docx, xlsx, pptx, odt, ods or odp file for `application/zip` (file-type finds which in a
 *   head only when the entry that tells comes first), and any zip-based file for a declared `application/zip`;
 * - `application/octet-stream` (which claims nothing) for any bytes;
 * - `text/plain`, `text/csv` or `text/markdown` for text: no signature and no NUL byte (sniffed
 *   undefined: {@link sniff} answers `application/octet-stream` for a head with a NUL byte; when
 *   `head` is given, it is checked for one too), or a text format file-type knows (XML,
 *   iCalendar, vCard, WebVTT).
 *
 * Any other declared type needs a signature: an image, PDF, audio, video, office or zip file
 * whose bytes have none (or another) never agrees.
 */
export function typeAgrees (declared: string, sniffed: string | undefined, head?: Uint8Array): boolean {
  const type = canonicalType(declared)
  if (type === null) return false
  if (type === 'application/octet-stream') return true
  if (sniffed === undefined) return TEXT_TYPES.has(type) && (head === undefined || !head.subarray(0, SNIFF_BYTES).includes(0))
  const found = canonicalType(sniffed) ?? sniffed.toLowerCase()
  if (found === type) return true
  const family = familyOf.get(type)
  if (family !== undefined && family === familyOf.get(found)) return true
  if (found === 'application/x-cfb') return COMPOUND_FILE_TYPES.has(type)
  if (found === 'application/zip' && ZIP_OFFICE_TYPES.has(type)) return true
  if (type === 'application/zip') return isZipBased(found)
  return TEXT_TYPES.has(type) && TEXT_SNIFFS.has(found)
}

/**
 * The Content-Disposition to serve a file with: `inline` for the {@link INLINE_TYPES} (with the
 * file name too), else `attachment`. The name is written as an ASCII fallback (`filename`) and,
 * when that is not the name, as UTF-8 (`filename*`); a slash or backslash becomes `_` (browsers
 * would cut a name there).
 */
export function contentDisposition (name: string, type: string): string {
  const filename = name.replace(/[/\\]/g, '_')
  const fallback = filename.normalize('NFKD').replace(/\p{M}/gu, '').replace(/[^\x20-\x7e]/gu, '?')
  const canonical = canonicalType(type)
  return formatDisposition(filename, { type: canonical !== null && inlineTypes.has(canonical) ? 'inline' : 'attachment', fallback })
}

/**
 * A file's name as stored (NFC, surrounding whitespace trimmed), or null when it is not a string,
 * is empty once trimmed, is longer than 255 characters (code points), or holds a control
 * character (C0 including NUL and tab, DEL, C1), a bidirectional embedding, override or isolate
 * (which could show `exe.pdf` for `fdp.exe`) or a lone surrogate. Slashes, dots and names like
 * `CON` are fine: the name is display text, never a path.
 */
export function checkName (name: unknown): string | null {
  if (typeof name !== 'string') return null
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i)
    if (unit < 0x20 || (unit >= 0x7f && unit <= 0x9f)) return null
    if ((unit >= 0x202a && unit <= 0x202e) || (unit >= 0x2066 && unit <= 0x2069)) return null
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = name.charCodeAt(i + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) return null
      i++
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return null
    }
  }
  const stored = name.normalize('NFC').trim()
  if (stored === '') return null
  // 255 code points are at most 510 UTF-16 units: a longer string is not counted.
  return stored.length > 510 || [...stored].length > 255 ? null : stored
}

/** Image types the plugin measures and makes thumbnails of: what its sharp decodes (not HEIC). */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif'])

/**
 * Whether the plugin measures files of `type` and makes their thumbnails ({@link processImage}):
 * PNG, JPEG, GIF, WebP and AVIF. Not HEIC, which this build of sharp cannot decode (patented
 * HEVC), so a HEIC photo is kept as a file without a thumbnail.
 */
export function isImageType (type: string): boolean {
  const canonical = canonicalType(type)
  return canonical !== null && IMAGE_TYPES.has(canonical)
}

/** What {@link processImage} finds in an image. */
export interface ImageInfo {
  /** The width as displayed (after its EXIF orientation), in pixels. */
  width: number
  /** The height as displayed, in pixels. */
  height: number
  /** A small copy: longest side at most {@link THUMBNAIL_MAX_SIDE}, never enlarged, first frame only. */
  thumbnail: Buffer
  /** The thumbnail's type (`image/webp`). */
  thumbnailType: string
}

/** The formats (as sharp names them) {@link processImage} decodes; `heif` only with AV1 (AVIF). */
const DECODED_FORMATS = new Set(['png', 'jpeg', 'gif', 'webp', 'heif'])

/**
 * An image's displayed size and its thumbnail (WebP, quality 80, metadata stripped), from its
 * bytes or its file's path; null when it is not a PNG, JPEG, GIF, WebP or AVIF image sharp can
 * decode (corrupt, truncated, or more than 100 million pixels: a decompression bomb is refused
 * from its header, before any decoding), so that the caller refuses the attachment. An animated
 * image is measured and thumbnailed by its first frame.
 */
export async function processImage (input: Buffer | string): Promise<ImageInfo | null> {
  try {
    const image = sharp(input, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS, autoOrient: true, sequentialRead: true, pages: 1 })
    const metadata = await image.metadata()
    if (metadata.format === undefined || !DECODED_FORMATS.has(metadata.format)) return null
    if (metadata.format === 'heif' && metadata.compression !== 'av1') return null
    const { width, height } = metadata.autoOrient
    const thumbnail = await image
      .resize(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .timeout({ seconds: 30 })
      .toBuffer()
    return { width, height, thumbnail, thumbnailType: 'image/webp' }
  } catch {
    return null
  }
}
