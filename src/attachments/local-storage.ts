/**
 * The default storage: attachments as files in a folder of this machine, `<directory>/<key>`.
 * The plugin's own routes receive and serve the bytes. A write goes to a temporary file first
 * (`<directory>/.tmp/.<random>`, a name no key can have) and is then linked to its key, which
 * fails atomically when the key exists: no reader ever sees half a file, no write replaces one.
 */
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { link, mkdir, open, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { STORAGE_KEY, type AttachmentStorage, type ByteRange } from './storage.js'

/** Where {@link localStorage} keeps its files. */
export interface LocalStorageOptions {
  /** The folder holding the objects (created as needed); nothing else should write in it. */
  directory: string
}

/**
 * A storage of files under `options.directory`, one per key. Keys other than the plugin's own
 * (`STORAGE_KEY`) are refused with a TypeError, so that no path can leave the folder.
 */
export function localStorage (options: LocalStorageOptions): AttachmentStorage {
  const directory = options.directory
  const temporary = join(directory, '.tmp')

  /** The file of `key`, once checked to be one of the plugin's keys. */
  const pathOf = (key: string): string => join(directory, checkKey(key))

  /** Creates the area folder of `key` (and the folder itself) if needed. */
  const ensureArea = async (key: string): Promise<void> => {
    await mkdir(join(directory, areaOf(key)), { recursive: true })
  }

  return {
    name: 'local',

    async uploadRequest (key) {
      checkKey(key)
      return null
    },

    async downloadUrl (key) {
      checkKey(key)
      return null
    },

    async write (key, body, { limit }) {
      const target = pathOf(key)
      if (Buffer.isBuffer(body) && body.length > limit) throw tooLarge(limit)
      await Promise.all([ensureArea(key), mkdir(temporary, { recursive: true })])
      const temp = join(temporary, `.${randomUUID()}`)
      try {
        let written: number
        if (Buffer.isBuffer(body)) {
          await writeFile(temp, body, { flag: 'wx' })
          written = body.length
        } else {
          written = 0
          const counter = new Transform({
            transform (chunk: Buffer, _encoding, callback) {
              written += chunk.length
              // Failing here makes the pipeline destroy the body: nothing more is read.
              if (written > limit) callback(tooLarge(limit))
              else callback(null, chunk)
            }
          })
          await pipeline(body, counter, createWriteStream(temp, { flags: 'wx' }))
        }
        try {
          await link(temp, target)
        } catch (err) {
          if (codeOf(err) === 'EEXIST') throw codedError('EEXIST', `${key} already exists`, err)
          throw err
        }
        return written
      } finally {
        await removeFile(temp)
      }
    },

    async read (key, range) {
      const path = pathOf(key)
      if (range !== undefined) checkRange(range)
      let handle
      try {
        handle = await open(path, 'r')
      } catch (err) {
        if (codeOf(err) === 'ENOENT') return null
        throw err
      }
      return handle.createReadStream(range === undefined ? {} : { start: range.start, end: range.end })
    },

    async size (key) {
      try {
        return (await stat(pathOf(key))).size
      } catch (err) {
        if (codeOf(err) === 'ENOENT') return null
        throw err
      }
    },

    async move (from, to) {
      const source = pathOf(from)
      const target = pathOf(to)
      await ensureArea(to)
      await rename(source, target)
    },

    async delete (keys) {
      const paths = keys.map(pathOf)
      await Promise.all(paths.map(removeFile))
    },

    async * list () {
      let areas
      try {
        areas = await readdir(directory, { withFileTypes: true })
      } catch (err) {
        if (codeOf(err) === 'ENOENT') return
        throw err
      }
      for (const area of areas) {
        if (!area.isDirectory() || !/^[a-z]$/.test(area.name)) continue
        for (const entry of await readdir(join(directory, area.name), { withFileTypes: true })) {
          const key = `${area.name}/${entry.name}`
          if (entry.isFile() && STORAGE_KEY.test(key)) yield key
        }
      }
    }
  }
}

/** Answers `key` if it is one of the plugin's keys; throws a TypeError otherwise. */
function checkKey (key: string): string {
  if (typeof key !== 'string' || !STORAGE_KEY.test(key)) throw new TypeError(`not a storage key: ${JSON.stringify(key)}`)
  return key
}

/** The area (the folder) of a checked key. */
function areaOf (key: string): string {
  return key.slice(0, key.indexOf('/'))
}

function checkRange (range: ByteRange): void {
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start) {
    throw new RangeError(`not a byte range: ${range.start}-${range.end}`)
  }
}

function tooLarge (limit: number): Error {
  return codedError('ETOOLARGE', `the body holds more than ${limit} bytes`)
}

function codedError (code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code })
}

function codeOf (err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code
}

/** Unlinks `path`; an absent file is not an error. */
async function removeFile (path: string): Promise<void> {
  try {
    await unlink(path)
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') throw err
  }
}
