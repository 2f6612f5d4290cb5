import type { FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { crc32 } from 'node:zlib'

import yauzl, { type Entry, type ZipFile } from 'yauzl'

import { jailFaultOf } from '../errors.js'
import type { Jail } from '../jail.js'
import { ArchiveBombError, CorruptArchiveError } from './archive-errors.js'

/** What `extractZip` needs from `decompressArchive`'s options. */
export interface ZipOptions {
  readonly directory: string
  readonly file: string
  readonly signal?: AbortSignal
  readonly onProgress?: (bytesWritten: number) => void
  readonly maxRatio: number
  readonly ratioGraceBytes: number
  readonly maxBytes: number | undefined
}

const S_IFMT = 0o170000
const S_IFLNK = 0o120000
const UNIX = 3
const UTF8_NAMES = 0x800
const CHUNK_BYTES = 256 * 1024

/** Whether `head` starts a zip archive (a local file header, or the end record of an empty one). */
export function isZip(head: Buffer): boolean {
  return (
    head.length >= 4 &&
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    ((head[2] === 0x03 && head[3] === 0x04) || (head[2] === 0x05 && head[3] === 0x06))
  )
}

/**
 * Extracts a zip archive through the jail: yauzl reads the central directory from a descriptor
 * opened by the jail and inflates each entry, checking its real size against the declared one;
 * the daemon writes, and names an entry only once its CRC-32 matched. Refused and counted as
 * skipped: unsafe paths, symlinks, denied paths. The central directory is read once on its own
 * first: its declared total meets the bomb guard, the quota and the volume's reserve before
 * anything is written (http-api §7.9 step 1), which the declared sizes then bind.
 */
export async function extractZip(
  jail: Jail,
  directory: string,
  options: ZipOptions,
): Promise<{ written: number; skipped: number }> {
  const { handle, stats } = await jail.openHandle(options.file)
  let zip: ZipFile | undefined
  try {
    const declared = await declaredTotal(handle, stats.size)
    if (options.maxBytes !== undefined && declared > options.maxBytes) {
      throw new ArchiveBombError(`more than ${options.maxBytes} uncompressed bytes`)
    }
    if (declared > options.ratioGraceBytes && declared > stats.size * options.maxRatio) {
      throw new ArchiveBombError(`compression ratio above ${options.maxRatio}`)
    }
    jail.quota.assertFits(declared, options.file)
    zip = await openZip(handle, stats.size)
    let written = 0
    let skipped = 0
    let bytes = 0
    for await (const entry of entries(zip)) {
      options.signal?.throwIfAborted()
      const rel = entryPath(entry)
      const target = rel === undefined ? undefined : directory === '' ? rel : `${directory}/${rel}`
      if (target === undefined || isSymlink(entry)) {
        skipped++
        continue
      }
      if ((entry.fileName as unknown as Buffer).at(-1) === 0x2f) {
        await jail.mkdirp(target)
        written++
        continue
      }
      try {
        const writer = await jail.openWrite(target, {
          mode: modeOf(entry),
          mtime: entry.getLastModDate(),
          size: entry.uncompressedSize,
        })
        const source = await openEntry(zip, entry)
        // The entry is named only once all of it was read and its CRC-32 and size matched the
        // headers: a corrupt entry fails the write, and the file it would replace is kept.
        const checked = (async function* () {
          let crc = 0
          try {
            for await (const chunk of source as AsyncIterable<Buffer>) {
              crc = crc32(chunk, crc)
              bytes += chunk.length
              options.onProgress?.(bytes)
              yield chunk
            }
          } catch (error) {
            // yauzl's own checks: inflate errors, more or fewer bytes than declared.
            throw new CorruptArchiveError(error)
          }
          if (crc >>> 0 !== entry.crc32 >>> 0) {
            throw new CorruptArchiveError(new Error(`CRC-32 mismatch in ${String(entry.fileName)}`))
          }
        })()
        await writer.pipeFrom(checked, options.signal)
        written++
      } catch (error) {
        if (jailFaultOf(error)?.reason === 'denied') skipped++
        else throw error
      }
    }
    return { written, skipped }
  } finally {
    zip?.close()
    await handle.close().catch(() => undefined)
  }
}

/** The uncompressed bytes the central directory declares, read without inflating anything. */
async function declaredTotal(handle: FileHandle, size: number): Promise<number> {
  const zip = await openZip(handle, size)
  try {
    let total = 0
    for await (const entry of entries(zip)) total += entry.uncompressedSize
    return total
  } finally {
    zip.close()
  }
}

/** The entry's path relative to the target directory, or undefined when it must be refused. */
function entryPath(entry: Entry): string | undefined {
  const raw = entry.fileName as unknown as Buffer
  const name = (
    entry.generalPurposeBitFlag & UTF8_NAMES ? raw.toString('utf8') : raw.toString('latin1')
  ).replace(/\\/g, '/')
  if (name.includes('\0') || name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return undefined
  const parts = name.split('/').filter((part) => part !== '' && part !== '.')
  if (parts.length === 0 || parts.includes('..')) return undefined
  return parts.join('/')
}

function unixMode(entry: Entry): number | undefined {
  return entry.versionMadeBy >> 8 === UNIX
    ? (entry.externalFileAttributes >>> 16) & 0xffff
    : undefined
}

function isSymlink(entry: Entry): boolean {
  return ((unixMode(entry) ?? 0) & S_IFMT) === S_IFLNK
}

function modeOf(entry: Entry): number {
  const mode = (unixMode(entry) ?? 0) & 0o777
  return mode === 0 ? 0o644 : mode | 0o600
}

class HandleReader extends yauzl.RandomAccessReader {
  readonly #handle: FileHandle

  constructor(handle: FileHandle) {
    super()
    this.#handle = handle
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const handle = this.#handle
    let position = start
    return new Readable({
      highWaterMark: CHUNK_BYTES,
      read(size) {
        const length = Math.min(size || CHUNK_BYTES, end - position)
        if (length <= 0) {
          this.push(null)
          return
        }
        handle.read(Buffer.allocUnsafe(length), 0, length, position).then(
          ({ bytesRead, buffer }) => {
            if (bytesRead === 0) return void this.push(null)
            position += bytesRead
            this.push(buffer.subarray(0, bytesRead))
          },
          (error: unknown) => this.destroy(error as Error),
        )
      },
    })
  }
}

function openZip(handle: FileHandle, size: number): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromRandomAccessReader(
      new HandleReader(handle),
      size,
      // Names stay raw: a bad one is skipped here instead of failing the archive.
      { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true },
      (error, zip) => (error ? reject(new CorruptArchiveError(error)) : resolve(zip)),
    )
  })
}

async function* entries(zip: ZipFile): AsyncGenerator<Entry> {
  for (;;) {
    const next = await new Promise<Entry | undefined>((resolve, reject) => {
      const cleanup = (): void => {
        zip.off('entry', onEntry).off('end', onEnd).off('error', onError)
      }
      const onEntry = (entry: Entry): void => {
        cleanup()
        resolve(entry)
      }
      const onEnd = (): void => {
        cleanup()
        resolve(undefined)
      }
      const onError = (error: Error): void => {
        cleanup()
        reject(new CorruptArchiveError(error))
      }
      zip.on('entry', onEntry).on('end', onEnd).on('error', onError)
      zip.readEntry()
    })
    if (next === undefined) return
    yield next
  }
}

function openEntry(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) =>
      error ? reject(new CorruptArchiveError(error)) : resolve(stream),
    )
  })
}
