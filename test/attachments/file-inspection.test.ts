// What an uploaded file is (src/attachments/files.ts), on real bytes: images made with sharp, a
// PDF, zip archives and office documents written byte by byte, sound and video headers; whether
// the declared type agrees with them; file names; media types and the accepted-type patterns;
// Content-Disposition; images' sizes and thumbnails, and the images refused (corrupt, too large).
import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32, createDeflate } from 'node:zlib'
import sharp, { type Sharp } from 'sharp'
import { parse as parseDisposition } from 'content-disposition'
import {
  DEFAULT_ATTACHMENT_TYPES, INLINE_TYPES, SNIFF_BYTES, THUMBNAIL_MAX_SIDE, canonicalType, checkName, checkTypePatterns,
  contentDisposition, isImageType, parseMediaType, processImage, sniff, typeAgrees, typeAllowed
} from '../../src/attachments/files.js'
import { pdf } from '../helpers/attachments.js'

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
const ODT = 'application/vnd.oasis.opendocument.text'

/** A zip archive of `entries`, stored (not compressed), written by the book (local headers, central directory, end record). */
function zip (entries: Array<[name: string, data: Buffer | string]>): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const [name, content] of entries) {
    const data = Buffer.from(content)
    const nameBytes = Buffer.from(name, 'utf8')
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4) // version needed
    local.writeUInt16LE(0x0800, 6) // UTF-8 names
    local.writeUInt16LE(0, 8) // stored
    local.writeUInt16LE(0, 10) // time
    local.writeUInt16LE(0x21, 12) // 1980-01-01
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(nameBytes.length, 26)
    local.writeUInt16LE(0, 28)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4) // made by
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(0x0800, 8)
    central.writeUInt16LE(0, 10)
    central.writeUInt16LE(0, 12)
    central.writeUInt16LE(0x21, 14)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(nameBytes.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, nameBytes, data)
    centrals.push(central, nameBytes)
    offset += local.length + nameBytes.length + data.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

const CONTENT_TYPES = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'

/** A PNG chunk: length, type, data, CRC. */
function chunk (type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(typed))
  return Buffer.concat([length, typed, crc])
}
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
function ihdr (width: number, height: number, depth: number, colourType: number): Buffer {
  const data = Buffer.alloc(13)
  data.writeUInt32BE(width, 0)
  data.writeUInt32BE(height, 4)
  data[8] = depth
  data[9] = colourType
  return chunk('IHDR', data)
}

/**
 * A decompression bomb: a valid PNG of 30000×30000 black pixels (900 million; one bit each, so
 * 112 MB once inflated, and 2.7 GB as sharp would hold them) in about 110 kB.
 */
async function bomb (): Promise<Buffer> {
  const side = 30_000
  const rows = Buffer.alloc((1 + side / 8) * 1000) // filter byte + 3750 bytes of pixels, 1000 rows
  const deflate = createDeflate()
  const parts: Buffer[] = []
  deflate.on('data', (part: Buffer) => parts.push(part))
  const ended = new Promise((resolve) => deflate.on('end', resolve))
  for (let i = 0; i < side / 1000; i++) deflate.write(rows)
  deflate.end()
  await ended
  return Buffer.concat([PNG_SIGNATURE, ihdr(side, side, 1, 0), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))])
}

/** An image of `width`×`height` in one colour. */
function plain (width: number, height: number, background: string | { r: number, g: number, b: number, alpha: number } = 'white'): Sharp {
  return sharp({ create: { width, height, channels: 4, background } })
}

/** The RGBA of pixel (x, y) of `image`. */
async function pixel (image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  const at = (y * info.width + x) * 4
  return [...data.subarray(at, at + 4)]
}

/** Whether `actual` is within 40 of `expected` on each channel (lossy thumbnails). */
function near (actual: number[], expected: number[]): boolean {
  return actual.length === expected.length && actual.every((value, i) => Math.abs(value - (expected[i] ?? 0)) <= 40)
}

t.test('the default types: images, PDF, text, sound, video, office documents, zip; never SVG or HTML', async (t) => {
  t.equal(checkTypePatterns(DEFAULT_ATTACHMENT_TYPES), null, 'the defaults pass their own check')
  for (const type of ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/heic', 'application/pdf', 'text/plain',
    'audio/mpeg', 'audio/ogg', 'video/mp4', 'video/webm', DOCX, XLSX, 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ODT, 'application/vnd.oasis.opendocument.spreadsheet', 'application/vnd.oasis.opendocument.presentation',
    'application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint', 'application/zip',
    'image/jpg', 'audio/mp3', 'application/x-zip-compressed']) {
    t.ok(typeAllowed(type, DEFAULT_ATTACHMENT_TYPES), `${type} is accepted`)
  }
  for (const type of ['image/svg+xml', 'text/html', 'application/xhtml+xml', 'text/xml', 'application/javascript', 'text/javascript', 'application/x-msdownload', 'application/octet-stream', 'image/tiff']) {
    t.notOk(typeAllowed(type, DEFAULT_ATTACHMENT_TYPES), `${type} is not accepted`)
  }
})

t.test('parseMediaType: a declared Content-Type as a lowercase type/subtype', async (t) => {
  const valid: Array<[string, string]> = [
    ['image/png', 'image/png'],
    ['Image/PNG', 'image/png'],
    [' text/plain ; charset=utf-8', 'text/plain'],
    ['text/plain;charset="utf-8"', 'text/plain'],
    ['text/plain; charset="a \\"quoted\\" value"', 'text/plain'],
    ['audio/ogg; codecs=opus', 'audio/ogg'],
    ['image/png;', 'image/png'],
    [DOCX, DOCX],
    ['application/vnd.ms-excel.sheet.macroenabled.12', 'application/vnd.ms-excel.sheet.macroenabled.12'],
    ['image/svg+xml', 'image/svg+xml'],
    [`${'a'.repeat(127)}/${'b'.repeat(127)}`, `${'a'.repeat(127)}/${'b'.repeat(127)}`]
  ]
  for (const [value, expected] of valid) t.equal(parseMediaType(value), expected, JSON.stringify(value))
  const invalid: unknown[] = [
    '', ' ', 'image', 'image/', '/png', 'image/png/x', 'image /png', 'image/ png', 'image/*', '*/*', '*/png',
    'image/png, text/html', 'text/plain; charset', 'text/plain; charset=', 'text/plain; charset="open',
    'text/plain\r\nX-Evil: 1', 'text/plain; a=b\r\n', 'image/pn\u0000g', '-image/png', 'image/.png', 'imagé/png',
    `${'a'.repeat(128)}/b`, `a/${'b'.repeat(128)}`, 42, null, undefined, ['image/png'], { type: 'image/png' }
  ]
  for (const value of invalid) t.equal(parseMediaType(value), null, `${JSON.stringify(value) ?? String(value)} is not a media type`)
  t.equal(canonicalType('IMAGE/JPG; q=1'), 'image/jpeg', 'aliases have one name')
  t.equal(canonicalType('audio/x-wav'), 'audio/wav')
  t.equal(canonicalType('application/x-zip-compressed'), 'application/zip')
  t.equal(canonicalType('image/png'), 'image/png')
  t.equal(canonicalType('nonsense'), null)
})

t.test('typeAllowed: exact types (aliases included) and wildcards', async (t) => {
  t.ok(typeAllowed('image/png', ['image/png']))
  t.ok(typeAllowed('Image/PNG; x=1', ['image/png']), 'case and parameters do not count')
  t.ok(typeAllowed('image/png', ['IMAGE/*']))
  t.ok(typeAllowed('image/jpg', ['image/jpeg']), 'an alias of an accepted type')
  t.ok(typeAllowed('image/jpeg', ['image/jpg']), 'an accepted alias')
  t.ok(typeAllowed('audio/ogg', ['video/*', 'audio/*']))
  t.ok(typeAllowed('application/x-anything', ['*/*']))
  t.notOk(typeAllowed('video/mp4', ['audio/*']))
  t.notOk(typeAllowed('imagex/png', ['image/*']), 'the wildcard is of the whole type name')
  t.notOk(typeAllowed('image/png', ['image/pn']))
  t.notOk(typeAllowed('image/png', []))
  t.notOk(typeAllowed('not a type', ['*/*']), 'an invalid type matches nothing')
})

t.test('checkTypePatterns: the accepted-types option, checked at start-up', async (t) => {
  t.equal(checkTypePatterns(['image/png', 'image/*', '*/*', DOCX, 'Audio/MPEG']), null)
  t.match(checkTypePatterns([]), /non-empty array/)
  t.match(checkTypePatterns('image/png'), /non-empty array/)
  t.match(checkTypePatterns(null), /non-empty array/)
  t.match(checkTypePatterns(['image/png', 'image/*png', 'also wrong']), /^entry 1 \("image\/\*png"\)/, 'names the first wrong entry')
  t.match(checkTypePatterns(['image/png; charset=x']), /entry 0 \("image\/png; charset=x"\)/, 'no parameters')
  t.match(checkTypePatterns(['*/png']), /entry 0 \("\*\/png"\)/)
  t.match(checkTypePatterns(['image/png', 42]), /entry 1 \(number\)/)
  t.match(checkTypePatterns(['']), /entry 0 \(""\)/)
})

t.test('sniff and typeAgrees: images', async (t) => {
  const png = await plain(40, 30, { r: 255, g: 0, b: 0, alpha: 0.5 }).png().toBuffer()
  const jpeg = await plain(40, 30).jpeg().toBuffer()
  const gif = await plain(40, 30).gif().toBuffer()
  const webp = await plain(40, 30).webp().toBuffer()
  const avif = await plain(40, 30).avif().toBuffer()
  t.equal(await sniff(png), 'image/png')
  t.equal(await sniff(jpeg), 'image/jpeg')
  t.equal(await sniff(gif), 'image/gif')
  t.equal(await sniff(webp), 'image/webp')
  t.equal(await sniff(avif), 'image/avif')
  t.ok(typeAgrees('image/png', await sniff(png)))
  t.ok(typeAgrees('image/jpeg', await sniff(jpeg)))
  t.ok(typeAgrees('image/jpg', await sniff(jpeg)), 'image/jpg is image/jpeg')
  t.ok(typeAgrees('IMAGE/JPEG; x=y', await sniff(jpeg)))
  t.ok(typeAgrees('image/avif', await sniff(avif)))
  t.ok(typeAgrees('image/png', 'image/apng'), 'an animated PNG is a PNG')
  t.ok(typeAgrees('image/heic', 'image/heif'), 'a .heic photo file-type calls HEIF (brand mif1)')
  t.notOk(typeAgrees('image/jpeg', await sniff(png)), 'a PNG declared image/jpeg is refused')
  t.notOk(typeAgrees('image/gif', await sniff(webp)))
  t.notOk(typeAgrees('image/png', undefined), 'an image with no signature is refused')
  t.notOk(typeAgrees('not a type', 'image/png'))

  const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>')
  t.equal(await sniff(html), undefined, 'HTML has no signature')
  t.notOk(typeAgrees('image/png', await sniff(html)), 'HTML declared image/png is refused')
  t.notOk(typeAgrees('text/html', await sniff(html)), 'HTML is not kept as HTML')
  t.notOk(typeAgrees('image/svg+xml', await sniff(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'))))
  t.notOk(typeAgrees('image/png', await sniff(Buffer.alloc(0))), 'an empty file is no image')
})

t.test('sniff and typeAgrees: text', async (t) => {
  const text = Buffer.from('Minutes of the meeting\n\n- déjà vu: 3 items\n- 日本語 too\n')
  t.equal(await sniff(text), undefined, 'text has no signature')
  t.ok(typeAgrees('text/plain', await sniff(text)))
  t.ok(typeAgrees('text/plain; charset=utf-8', await sniff(text), text))
  t.ok(typeAgrees('text/csv', await sniff(Buffer.from('a,b\n1,2\n'))))
  t.ok(typeAgrees('text/markdown', await sniff(Buffer.from('# Title\n'))))
  t.ok(typeAgrees('text/plain', await sniff(Buffer.alloc(0))), 'an empty file is (empty) text')
  t.ok(typeAgrees('text/plain', await sniff(Buffer.from('<?xml version="1.0"?><notes/>'))), 'XML is text')
  t.ok(typeAgrees('text/plain', await sniff(Buffer.from('BEGIN:VCARD\r\nVERSION:4.0\r\nEND:VCARD\r\n'))), 'a vCard is text')
  for (const type of ['application/json', 'text/html', 'text/xml', 'application/pdf', 'application/zip', 'video/mp4']) {
    t.notOk(typeAgrees(type, await sniff(text)), `text declared ${type} is refused`)
  }

  const withNul = Buffer.from('looks like text\u0000but is not\n')
  t.equal(await sniff(withNul), 'application/octet-stream', 'no signature and a NUL byte: binary')
  t.notOk(typeAgrees('text/plain', await sniff(withNul)), 'text with a NUL byte declared text/plain is refused')
  t.notOk(typeAgrees('text/plain', undefined, withNul), 'and so when the head is given to typeAgrees')
  t.ok(typeAgrees('text/plain', undefined, text))

  const late = Buffer.concat([Buffer.from('x'.repeat(SNIFF_BYTES)), Buffer.from([0])])
  t.equal(SNIFF_BYTES, 4100)
  t.equal(await sniff(late), undefined, `only the first ${SNIFF_BYTES} bytes are looked at`)
  t.ok(typeAgrees('text/plain', undefined, late))

  t.ok(typeAgrees('application/octet-stream', await sniff(withNul)), 'application/octet-stream claims nothing')
  t.ok(typeAgrees('application/octet-stream', 'image/png'))
})

t.test('sniff and typeAgrees: PDF, zip archives and office documents', async (t) => {
  t.equal(await sniff(pdf()), 'application/pdf')
  t.ok(typeAgrees('application/pdf', await sniff(pdf())))
  t.notOk(typeAgrees('application/pdf', await sniff(Buffer.from('not a PDF'))), 'a PDF with no signature is refused')

  const archive = zip([['hello.txt', 'hello\n'], ['dir/notes.txt', 'notes\n']])
  t.equal(await sniff(archive), 'application/zip')
  t.ok(typeAgrees('application/zip', await sniff(archive)))
  t.ok(typeAgrees('application/x-zip-compressed', await sniff(archive)), 'what Windows declares for a .zip')
  t.notOk(typeAgrees('application/pdf', await sniff(archive)))
  t.notOk(typeAgrees('application/zip', await sniff(pdf())))

  const docx = zip([['[Content_Types].xml', CONTENT_TYPES], ['_rels/.rels', '<Relationships/>'], ['word/document.xml', '<w:document/>']])
  t.equal(await sniff(docx), DOCX, 'file-type reads [Content_Types].xml when it comes first')
  t.ok(typeAgrees(DOCX, await sniff(docx)))
  t.notOk(typeAgrees(XLSX, await sniff(docx)), 'a docx declared xlsx is refused')
  t.ok(typeAgrees('application/zip', await sniff(docx)), 'a docx is a zip archive')

  // [Content_Types].xml beyond the first 4100 bytes: in the head, file-type sees only a zip.
  const lateDocx = zip([['word/media/image1.png', Buffer.alloc(6000, 1)], ['[Content_Types].xml', CONTENT_TYPES], ['word/document.xml', '<w:document/>']])
  t.equal(await sniff(lateDocx.subarray(0, SNIFF_BYTES)), 'application/zip')
  t.equal(await sniff(lateDocx), 'application/zip', 'sniff looks at the head only')
  t.ok(typeAgrees(DOCX, await sniff(lateDocx)), 'a docx file-type sees as a zip is a docx')
  t.ok(typeAgrees(XLSX, 'application/zip'))
  t.notOk(typeAgrees('application/pdf', 'application/zip'))

  const odt = zip([['mimetype', ODT], ['content.xml', '<office:document-content/>']])
  t.equal(await sniff(odt), ODT, 'an OpenDocument file says its type in its first entry')
  t.ok(typeAgrees(ODT, await sniff(odt)))
  t.notOk(typeAgrees('application/vnd.oasis.opendocument.spreadsheet', await sniff(odt)))

  const jar = zip([['META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\n'], ['App.class', 'x']])
  t.equal(await sniff(jar), 'application/java-archive')
  t.ok(typeAgrees('application/zip', await sniff(jar)), 'a zip holding a Java manifest is still a zip')
  t.notOk(typeAgrees(DOCX, await sniff(jar)))

  const compound = Buffer.alloc(1024)
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(compound)
  t.equal(await sniff(compound), 'application/x-cfb', 'old Office documents are compound files')
  for (const type of ['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint']) t.ok(typeAgrees(type, 'application/x-cfb'), type)
  t.notOk(typeAgrees(DOCX, 'application/x-cfb'))
  t.notOk(typeAgrees('application/msword', 'application/zip'))
})

t.test('sniff and typeAgrees: sound and video', async (t) => {
  const wav = Buffer.alloc(64)
  wav.write('RIFF', 0)
  wav.writeUInt32LE(56, 4)
  wav.write('WAVEfmt ', 8)
  t.equal(await sniff(wav), 'audio/wav')
  for (const type of ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave']) t.ok(typeAgrees(type, await sniff(wav)), type)
  t.notOk(typeAgrees('audio/mpeg', await sniff(wav)))

  // An empty ID3v2.4 tag, then an MPEG-1 layer III frame header.
  const mp3 = Buffer.concat([Buffer.from('ID3'), Buffer.from([4, 0, 0, 0, 0, 0, 0]), Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(400)])
  t.equal(await sniff(mp3), 'audio/mpeg')
  t.ok(typeAgrees('audio/mp3', await sniff(mp3)))
  t.ok(typeAgrees('audio/mpeg', await sniff(mp3)))

  /** An ISO media file's first box, of major brand `brand`. */
  const ftyp = (brand: string): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from(`ftyp${brand}\0\0\0\0${brand}isom`, 'latin1'), Buffer.alloc(32)])
  t.equal(await sniff(ftyp('M4A ')), 'audio/x-m4a')
  t.equal(await sniff(ftyp('isom')), 'video/mp4')
  t.equal(await sniff(ftyp('qt  ')), 'video/quicktime')
  for (const type of ['audio/mp4', 'audio/x-m4a', 'audio/m4a']) {
    t.ok(typeAgrees(type, await sniff(ftyp('M4A '))), `${type} for an M4A file`)
    t.ok(typeAgrees(type, await sniff(ftyp('isom'))), `${type} for an audio-only MP4 (brand isom)`)
  }
  t.ok(typeAgrees('video/mp4', await sniff(ftyp('isom'))))
  t.ok(typeAgrees('video/quicktime', await sniff(ftyp('qt  '))))
  t.ok(typeAgrees('video/mp4', await sniff(ftyp('qt  '))), 'one ISO media family')
  t.notOk(typeAgrees('video/webm', await sniff(ftyp('isom'))))
  t.notOk(typeAgrees('image/png', await sniff(ftyp('isom'))))

  const webm = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81, 0x04, 0x42, 0xf3, 0x81, 0x08,
    0x42, 0x82, 0x84, 0x77, 0x65, 0x62, 0x6d, 0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02, 0x18, 0x53, 0x80, 0x67, 0x01, 0, 0, 0, 0, 0, 0, 0])
  t.equal(await sniff(webm), 'video/webm')
  t.ok(typeAgrees('video/webm', await sniff(webm)))
  t.ok(typeAgrees('audio/webm', await sniff(webm)), 'a WebM of sound alone')

  const ogg = (packet: string): Buffer => Buffer.concat([Buffer.from('OggS'), Buffer.alloc(24), Buffer.from(packet, 'latin1'), Buffer.alloc(32)])
  t.equal(await sniff(ogg('\u0001vorbis')), 'audio/ogg')
  t.equal(await sniff(ogg('OpusHead')), 'audio/ogg', 'file-type says audio/ogg; codecs=opus: the parameter goes')
  t.ok(typeAgrees('audio/ogg', await sniff(ogg('OpusHead'))))
  t.ok(typeAgrees('audio/opus', await sniff(ogg('OpusHead'))))
  t.ok(typeAgrees('video/ogg', await sniff(ogg('\u0001vorbis'))))
  t.notOk(typeAgrees('audio/mpeg', await sniff(ogg('\u0001vorbis'))))
})

t.test('checkName: file names as display text', async (t) => {
  t.equal(checkName('report.pdf'), 'report.pdf')
  t.equal(checkName('../../etc/passwd'), '../../etc/passwd', 'slashes and dots are display text: the name is never a path')
  t.equal(checkName('C:\\Users\\ann\\notes.txt'), 'C:\\Users\\ann\\notes.txt')
  t.equal(checkName('CON'), 'CON', 'a reserved Windows name is a name like any other')
  t.equal(checkName('.hidden'), '.hidden')
  t.equal(checkName('  report final.pdf \u3000'), 'report final.pdf', 'surrounding whitespace is trimmed')
  const decomposed = 'cafe\u0301.txt'
  t.equal(checkName(decomposed), 'caf\u00e9.txt', 'NFC')
  t.equal(checkName(decomposed)?.length, 8)
  t.equal(checkName('photo 📷.jpg'), 'photo 📷.jpg', 'characters beyond the BMP (surrogate pairs) are fine')
  t.equal(checkName('a'.repeat(255)), 'a'.repeat(255))
  t.equal(checkName('📷'.repeat(255)), '📷'.repeat(255), '255 characters, counted as code points (510 UTF-16 units)')
  t.equal(checkName('a'.repeat(256)), null, 'too long')
  t.equal(checkName('a'.repeat(300)), null)
  t.equal(checkName('📷'.repeat(256)), null)
  t.equal(checkName(`${'a'.repeat(255)}   `), 'a'.repeat(255), 'trimmed before counting')
  for (const name of ['', '   ', '\u3000']) t.equal(checkName(name), null, `${JSON.stringify(name)} is empty`)
  for (const name of ['a\u0000b', 'bell\u0007.txt', 'next\u0085line.txt', 'tab\there.txt', 'line\nbreak.txt', 'report.pdf\n', 'del\u007f.txt', 'c1\u009b.txt']) {
    t.equal(checkName(name), null, `${JSON.stringify(name)}: a control character`)
  }
  t.equal(checkName('invoice\u202efdp.exe'), null, 'a bidirectional override (shows "invoiceexe.pdf")')
  t.equal(checkName('a\u2066b\u2069.txt'), null, 'a bidirectional isolate')
  t.equal(checkName('lone\ud800.txt'), null, 'a lone high surrogate')
  t.equal(checkName('lone\udc00.txt'), null, 'a lone low surrogate')
  t.equal(checkName('end\ud83d'), null, 'a high surrogate at the end')
  for (const name of [42, null, undefined, ['a.txt'], { name: 'a.txt' }]) t.equal(checkName(name), null, `${typeof name} is no name`)
})

t.test('contentDisposition: inline for a few image types, else a download; the name in ASCII and UTF-8', async (t) => {
  t.same(INLINE_TYPES, ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif'])
  const cases: Array<[name: string, type: string, disposition: string]> = [
    ['photo.png', 'image/png', 'inline'],
    ['photo.jpg', 'image/jpg', 'inline'],
    ['photo.jpg', 'IMAGE/JPEG; x=1', 'inline'],
    ['anim.gif', 'image/gif', 'inline'],
    ['photo.heic', 'image/heic', 'attachment'],
    ['drawing.svg', 'image/svg+xml', 'attachment'],
    ['page.html', 'text/html', 'attachment'],
    ['notes.txt', 'text/plain', 'attachment'],
    ['report.pdf', 'application/pdf', 'attachment'],
    ['report.pdf', 'not a type', 'attachment'],
    ['日本語 レポート.pdf', 'application/pdf', 'attachment'],
    ['café.png', 'image/png', 'inline'],
    ['say "hi".txt', 'text/plain', 'attachment'],
    ['100% €.txt', 'text/plain', 'attachment'],
    ['it\'s; a=b, c.txt', 'text/plain', 'attachment']
  ]
  for (const [name, type, disposition] of cases) {
    const header = contentDisposition(name, type)
    t.match(header, /^[\x20-\x7e]+$/, `${header}: printable ASCII only`)
    const parsed = parseDisposition(header)
    t.equal(parsed.type, disposition, `${name} (${type}) is served ${disposition}`)
    t.equal(parsed.parameters.filename, name, `${name}: the name is read back`)
  }
  t.equal(contentDisposition('photo.png', 'image/png'), 'inline; filename="photo.png"')
  t.equal(contentDisposition('say "hi".txt', 'text/plain'), 'attachment; filename="say \\"hi\\".txt"')
  t.equal(contentDisposition('café.png', 'image/png'), 'inline; filename="cafe.png"; filename*=UTF-8\'\'caf%C3%A9.png', 'an ASCII fallback without the accent')
  t.equal(contentDisposition('日本語 レポート.pdf', 'application/pdf'),
    'attachment; filename="??? ????.pdf"; filename*=UTF-8\'\'%E6%97%A5%E6%9C%AC%E8%AA%9E%20%E3%83%AC%E3%83%9D%E3%83%BC%E3%83%88.pdf')
  t.equal(contentDisposition('../../etc/passwd', 'text/plain'), 'attachment; filename=".._.._etc_passwd"', 'a slash becomes _, as a browser would do')
  t.equal(contentDisposition('a\\b.txt', 'text/plain'), 'attachment; filename="a_b.txt"')
})

t.test('isImageType: what the plugin measures and thumbnails', async (t) => {
  for (const type of ['image/png', 'image/jpeg', 'image/jpg', 'image/gif', 'image/webp', 'image/avif', 'Image/PNG; x=1']) t.ok(isImageType(type), type)
  for (const type of ['image/heic', 'image/heif', 'image/svg+xml', 'image/tiff', 'image/bmp', 'application/pdf', 'video/mp4', 'nonsense']) t.notOk(isImageType(type), type)
  // HEIC is HEVC: this sharp has the AV1 codec of HEIF (AVIF) only.
  await t.rejects(plain(8, 8).heif({ compression: 'hevc' }).toBuffer(), 'sharp here has no HEVC (HEIC) codec')
  t.ok((await plain(8, 8).avif().toBuffer()).length > 0, 'but it has AV1 (AVIF)')
})

t.test('processImage: displayed size and thumbnail', async (t) => {
  t.equal(THUMBNAIL_MAX_SIDE, 320)

  await t.test('a PNG with alpha keeps it', async (t) => {
    const png = await plain(64, 48, { r: 0, g: 0, b: 255, alpha: 0.5 }).png().toBuffer()
    const result = await processImage(png)
    if (result === null) throw new Error('no result')
    t.equal(result.width, 64)
    t.equal(result.height, 48)
    t.equal(result.thumbnailType, 'image/webp')
    const thumbnail = await sharp(result.thumbnail).metadata()
    t.equal(thumbnail.format, 'webp')
    t.equal(thumbnail.width, 64, 'never enlarged')
    t.equal(thumbnail.height, 48)
    t.equal(thumbnail.hasAlpha, true)
    t.ok(near(await pixel(result.thumbnail, 10, 10), [0, 0, 255, 128]), `half-transparent blue: ${String(await pixel(result.thumbnail, 10, 10))}`)
    t.equal(await sniff(result.thumbnail), result.thumbnailType, 'the thumbnail is what thumbnailType says')
  })

  await t.test('a JPEG with EXIF orientation 6 is measured as displayed', async (t) => {
    // Stored 200×100, left half red, right half blue; orientation 6 turns it a quarter clockwise to show it.
    const halves = Buffer.alloc(200 * 100 * 3)
    for (let y = 0; y < 100; y++) {
      for (let x = 0; x < 200; x++) halves.set(x < 100 ? [255, 0, 0] : [0, 0, 255], (y * 200 + x) * 3)
    }
    const jpeg = await sharp(halves, { raw: { width: 200, height: 100, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer()
    const stored = await sharp(jpeg).metadata()
    t.same([stored.width, stored.height, stored.orientation], [200, 100, 6], 'the file is stored wide, with orientation 6')
    const result = await processImage(jpeg)
    if (result === null) throw new Error('no result')
    t.same([result.width, result.height], [100, 200], 'width and height as displayed')
    const thumbnail = await sharp(result.thumbnail).metadata()
    t.same([thumbnail.width, thumbnail.height], [100, 200])
    t.equal(thumbnail.orientation, undefined, 'the thumbnail needs no orientation')
    t.ok(near(await pixel(result.thumbnail, 50, 20), [255, 0, 0, 255]), 'red on top')
    t.ok(near(await pixel(result.thumbnail, 50, 180), [0, 0, 255, 255]), 'blue below')
  })

  await t.test('a 4000×3000 image: a 320×240 thumbnail', async (t) => {
    const png = await plain(4000, 3000, 'green').png().toBuffer()
    const result = await processImage(png)
    if (result === null) throw new Error('no result')
    t.same([result.width, result.height], [4000, 3000])
    const thumbnail = await sharp(result.thumbnail).metadata()
    t.same([thumbnail.width, thumbnail.height], [320, 240])
    t.ok(result.thumbnail.length < 10_000, `${result.thumbnail.length} bytes`)
  })

  await t.test('a tall image: its height is at most 320', async (t) => {
    const result = await processImage(await plain(500, 1000).jpeg().toBuffer())
    if (result === null) throw new Error('no result')
    const thumbnail = await sharp(result.thumbnail).metadata()
    t.same([result.width, result.height, thumbnail.width, thumbnail.height], [500, 1000, 160, 320])
  })

  await t.test('a 100×50 image: the thumbnail stays 100×50', async (t) => {
    const result = await processImage(await plain(100, 50, 'orange').webp().toBuffer())
    if (result === null) throw new Error('no result')
    const thumbnail = await sharp(result.thumbnail).metadata()
    t.same([result.width, result.height, thumbnail.width, thumbnail.height], [100, 50, 100, 50])
  })

  await t.test('an animated GIF: its first frame', async (t) => {
    const red = await sharp({ create: { width: 20, height: 10, channels: 3, background: 'red' } }).raw().toBuffer()
    const blue = await sharp({ create: { width: 20, height: 10, channels: 3, background: 'blue' } }).raw().toBuffer()
    const gif = await sharp(Buffer.concat([red, blue]), { raw: { width: 20, height: 20, channels: 3, pageHeight: 10 } }).gif({ delay: [200, 200], loop: 0 }).toBuffer()
    const source = await sharp(gif).metadata()
    t.equal(source.pages, 2, 'two frames')
    t.equal(await sniff(gif), 'image/gif')
    const result = await processImage(gif)
    if (result === null) throw new Error('no result')
    t.same([result.width, result.height], [20, 10], 'the size of one frame')
    const thumbnail = await sharp(result.thumbnail).metadata()
    t.same([thumbnail.width, thumbnail.height, thumbnail.pages ?? 1], [20, 10, 1], 'one frame')
    t.ok(near(await pixel(result.thumbnail, 10, 5), [255, 0, 0, 255]), 'the first (red) one')
  })

  await t.test('AVIF, and a file given by its path', async (t) => {
    const avif = await processImage(await plain(90, 60, 'purple').avif().toBuffer())
    t.same(avif === null ? null : [avif.width, avif.height], [90, 60])
    const dir = t.testdir()
    const path = join(dir, 'photo.jpg')
    await writeFile(path, await plain(640, 480).jpeg().toBuffer())
    const fromPath = await processImage(path)
    if (fromPath === null) throw new Error('no result')
    t.same([fromPath.width, fromPath.height], [640, 480])
    t.same(await sharp(fromPath.thumbnail).metadata().then((m) => [m.width, m.height]), [320, 240])
    t.equal(await processImage(join(dir, 'absent.jpg')), null, 'no file: null')
  })

  await t.test('refused: null', async (t) => {
    const png = await plain(800, 600, 'teal').png({ compressionLevel: 0 }).toBuffer()
    const garbage = Buffer.from('not image data at all, only words. '.repeat(40))
    const corrupt = Buffer.concat([PNG_SIGNATURE, garbage])
    t.notOk(typeAgrees('image/png', await sniff(corrupt)), 'a PNG signature then garbage: file-type reads the chunks, and finds no PNG')
    t.equal(await processImage(corrupt), null, 'nor does sharp')
    const badData = Buffer.concat([PNG_SIGNATURE, ihdr(100, 100, 8, 2), chunk('IDAT', garbage), chunk('IEND', Buffer.alloc(0))])
    t.equal(await sniff(badData), 'image/png', 'well-formed chunks...')
    t.equal(await processImage(badData), null, '...of garbage pixels')
    t.equal(await processImage(png.subarray(0, png.length / 2)), null, 'a truncated PNG')
    const jpeg = await sharp({ create: { width: 400, height: 300, channels: 3, background: 'black', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer()
    t.equal(await processImage(jpeg.subarray(0, jpeg.length / 2)), null, 'a truncated JPEG')
    t.equal(await processImage(Buffer.from('<!doctype html><p>hello')), null, 'HTML')
    t.equal(await processImage(Buffer.alloc(0)), null, 'nothing')
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')
    t.ok((await sharp(svg).png().toBuffer()).length > 0, 'sharp here could draw an SVG...')
    t.equal(await processImage(svg), null, '...but processImage takes PNG, JPEG, GIF, WebP and AVIF only')
    t.equal(await processImage(await plain(10, 10).tiff().toBuffer()), null, 'TIFF')
    t.equal(await processImage(pdf()), null, 'PDF')
  })

  await t.test('a decompression bomb is refused from its header', async (t) => {
    const bytes = await bomb()
    t.ok(bytes.length < 200_000, `${bytes.length} bytes`)
    const header = await sharp(bytes, { limitInputPixels: false }).metadata()
    t.same([header.format, header.width, header.height], ['png', 30_000, 30_000], 'a valid PNG of 900 million pixels')
    const start = Date.now()
    t.equal(await processImage(bytes), null)
    t.ok(Date.now() - start < 2000, `refused in ${Date.now() - start} ms, without decoding it`)
    const path = join(t.testdir(), 'bomb.png')
    await writeFile(path, bytes)
    t.equal(await processImage(path), null, 'from a file too')
  })
})
