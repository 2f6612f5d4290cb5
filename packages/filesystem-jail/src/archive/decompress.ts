import { once } from 'node:events'
import path from 'node:path'
import { Readable } from 'node:stream'
import { createGunzip, createZstdDecompress } from 'node:zlib'

import { isDaemonError } from '@node/shared-kernel'
import { Parser, type ReadEntry } from 'tar'

import { jailFaultOf } from '../errors.js'
import type { Jail } from '../jail.js'
import { parseJailPath } from '../jail-path.js'
import { ArchiveBombError, CorruptArchiveError, UnsupportedArchiveError } from './archive-errors.js'
import { detectCompression, isTarHeader, type Compression } from './detect-format.js'
import { extractZip, isZip } from './unzip.js'

export interface DecompressOptions {
  /** Jail path entries are extracted under. */
  readonly directory: string
  /** Jail path of the archive. */
  readonly file: string
  readonly signal?: AbortSignal
  /** Called with the running total of bytes written into the jail. */
  readonly onProgress?: (bytesWritten: number) => void
  /**
   * Bomb guard: at most this many uncompressed bytes per compressed byte (default 200). DEFLATE
   * reaches about 1032:1 at best and zstd far more, so the default fires on a bomb of either,
   * while real server files (worlds, logs, databases) stay far below it.
   */
  readonly maxRatio?: number
  /** Bomb guard: the ratio applies past this many uncompressed bytes (default 64 MiB). */
  readonly ratioGraceBytes?: number
  /** Bomb guard: never more than this many uncompressed bytes (default unlimited: the quota). */
  readonly maxBytes?: number
}

/** How an extraction ended, for logs: entries written and entries refused. */
export interface DecompressResult {
  readonly written: number
  readonly skipped: number
}

const HEAD_BYTES = 512
const DEFAULT_MAX_RATIO = 200
const DEFAULT_GRACE = 64 * 1024 * 1024
const SMALL_ENTRY_BYTES = 1024 * 1024
const PARALLEL_WRITES = 16

/**
 * http-api §7.9: extracts `file` into `directory`. The format is read from the content: zip
 * (see unzip.ts), tar, and tar or a single file inside gzip or zstd; anything else (rar, 7z,
 * bzip2, xz…) is the unknown-format 400. The parser only parses: every entry is written with the jail's own calls.
 * Refused (skipped, counted): absolute paths, `..` anywhere, links, devices, FIFOs, and entries on
 * the deny list (as the reference, silently). The quota stops the extraction mid-entry; the
 * ratio/size guard stops bombs on a server without a limit. The entry being written when it fails
 * is not left behind (writes go through a temporary file); entries before it stay, as the
 * reference's.
 */
export async function decompressArchive(
  jail: Jail,
  options: DecompressOptions,
): Promise<DecompressResult> {
  options.signal?.throwIfAborted()
  const directory = normalizeDirectory(options.directory)
  const readable = await jail.openRead(options.file)
  const raw = readable.stream
  try {
    const { head, rest } = await peek(raw, HEAD_BYTES)
    if (isZip(head)) {
      // Zip needs random access: the stream's descriptor is closed before the archive is reopened.
      if (!raw.closed) {
        raw.destroy()
        await once(raw, 'close')
      }
      return await extractZip(jail, directory, {
        ...options,
        maxRatio: options.maxRatio ?? DEFAULT_MAX_RATIO,
        ratioGraceBytes: options.ratioGraceBytes ?? DEFAULT_GRACE,
        maxBytes: options.maxBytes,
      })
    }
    const compression = detectCompression(head)
    if (compression === 'unsupported' || (compression === 'none' && !isTarHeader(head))) {
      throw new UnsupportedArchiveError(compression)
    }
    let compressed = 0
    const counted = (async function* () {
      for await (const chunk of rest as AsyncIterable<Buffer>) {
        compressed += chunk.length
        yield chunk
      }
    })()
    const inflated = decompressor(compression, counted)
    let produced = 0
    const maxRatio = options.maxRatio ?? DEFAULT_MAX_RATIO
    const grace = options.ratioGraceBytes ?? DEFAULT_GRACE
    const guarded = (async function* () {
      for await (const chunk of inflated as AsyncIterable<Buffer>) {
        produced += chunk.length
        if (options.maxBytes !== undefined && produced > options.maxBytes) {
          throw new ArchiveBombError(`more than ${options.maxBytes} uncompressed bytes`)
        }
        if (compression !== 'none' && produced > grace && produced > compressed * maxRatio) {
          throw new ArchiveBombError(`compression ratio above ${maxRatio}`)
        }
        yield chunk
      }
    })()
    const content = await peek(Readable.from(guarded), HEAD_BYTES)
    if (compression !== 'none' && !isTarHeader(content.head)) {
      // A single compressed file: written next to the archive, named without its extension.
      const name = singleFileName(path.posix.basename(options.file))
      const target = directory === '' ? name : `${directory}/${name}`
      const writer = await jail.openWrite(target, { mode: 0o644 })
      let written = 0
      const progress = (async function* () {
        for await (const chunk of content.rest as AsyncIterable<Buffer>) {
          written += chunk.length
          options.onProgress?.(written)
          yield chunk
        }
      })()
      await writer.pipeFrom(progress, options.signal)
      return { written: 1, skipped: 0 }
    }
    return await extractTar(jail, directory, content.rest, options)
  } catch (error) {
    throw asArchiveError(error)
  } finally {
    raw.destroy()
  }
}

async function extractTar(
  jail: Jail,
  directory: string,
  source: Readable,
  options: DecompressOptions,
): Promise<DecompressResult> {
  let failure: Error | undefined
  // Stops the entry being written (its temporary file is removed) when anything fails.
  const stop = new AbortController()
  let current: ReadEntry | undefined
  let fail: (error: unknown) => void = () => undefined
  const failed = new Promise<never>((_, reject) => {
    fail = (reason) => {
      const error = reason instanceof Error ? reason : new Error(String(reason))
      if (failure === undefined) failure = error
      stop.abort(error)
      // Ends the parser's entry stream, so the aborted write above settles instead of waiting.
      current?.destroy()
      reject(error)
    }
  })
  failed.catch(() => undefined)
  let written = 0
  let skipped = 0
  let bytes = 0
  let chain = Promise.resolve()
  const pending = new Set<Promise<void>>()
  const pendingPaths = new Set<string>()
  const settled = async (): Promise<void> => {
    while (pending.size > 0) await Promise.race(pending)
  }

  const handle = async (entry: ReadEntry): Promise<void> => {
    current = entry
    const rel = safeEntryPath(entry.path)
    const target = rel === undefined ? undefined : directory === '' ? rel : `${directory}/${rel}`
    try {
      if (failure !== undefined || target === undefined) {
        skipped += failure === undefined ? 1 : 0
        return await drain(entry)
      }
      if (entry.type === 'Directory') {
        await settled()
        await jail.mkdirp(target)
        written++
        return await drain(entry)
      }
      if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
        skipped++
        return await drain(entry)
      }
      const writeOptions = {
        mode: (entry.mode ?? 0o644) & 0o777,
        ...(entry.mtime ? { mtime: entry.mtime } : {}),
      }
      if (entry.size <= SMALL_ENTRY_BYTES) {
        // Small files are read into memory and written while the parser moves on: per-file
        // system calls, not bytes, bound a tree of many small files.
        const chunks: Buffer[] = []
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          bytes += chunk.length
          options.onProgress?.(bytes)
          chunks.push(chunk)
        }
        const data = Buffer.concat(chunks)
        while (pending.size >= PARALLEL_WRITES || pendingPaths.has(target)) {
          await Promise.race(pending)
        }
        const task = jail
          .writeFile(target, data, { ...writeOptions, signal: stop.signal })
          .then(
            () => void written++,
            (error: unknown) => {
              if (jailFaultOf(error)?.reason === 'denied') skipped++
              else fail(error)
            },
          )
          .finally(() => {
            pending.delete(task)
            pendingPaths.delete(target)
          })
        pending.add(task)
        pendingPaths.add(target)
        return
      }
      await settled()
      const writer = await jail.openWrite(target, { ...writeOptions, size: entry.size })
      const counting = (async function* () {
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          bytes += chunk.length
          options.onProgress?.(bytes)
          yield chunk
        }
      })()
      await writer.pipeFrom(counting, stop.signal)
      written++
    } catch (error) {
      if (jailFaultOf(error)?.reason === 'denied') {
        skipped++
        return await drain(entry)
      }
      fail(error)
      entry.resume()
    }
  }

  const parser = new Parser({
    strict: true,
    noResume: true,
    onReadEntry: (entry) => {
      chain = chain.then(() => handle(entry))
    },
  })
  parser.on('error', (error: unknown) => fail(error))
  const ended = once(parser, 'end')
  ended.catch(() => undefined)

  const abort = (): void => fail(options.signal?.reason ?? new Error('aborted'))
  options.signal?.addEventListener('abort', abort, { once: true })
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (failure !== undefined) throw failure
      if (!parser.write(chunk)) await Promise.race([once(parser, 'drain'), failed])
    }
    parser.end()
    await Promise.race([ended, failed])
    await Promise.race([chain, failed])
    await Promise.race([settled(), failed])
    if (failure !== undefined) throw failure
    return { written, skipped }
  } catch (error) {
    fail(error)
    throw failure ?? error
  } finally {
    options.signal?.removeEventListener('abort', abort)
    source.destroy()
    // The entry in flight settles (and cleans up) before the caller hears of the failure.
    await chain.catch(() => undefined)
    await settled()
  }
}

/** The entry's path relative to the target directory, or undefined when it must be refused. */
export function safeEntryPath(entryPath: string): string | undefined {
  if (entryPath.includes('\0') || entryPath.startsWith('/')) return undefined
  const parts = entryPath.split('/').filter((part) => part !== '' && part !== '.')
  if (parts.length === 0 || parts.includes('..')) return undefined
  return parts.join('/')
}

function singleFileName(archive: string): string {
  const stripped = archive.replace(/\.(gz|gzip|zst|zstd)$/i, '')
  return stripped === archive || stripped === '' ? `${archive}.out` : stripped
}

function decompressor(compression: Compression, source: AsyncIterable<Buffer>): Readable {
  const input = Readable.from(source)
  if (compression === 'none') return input
  const inflate =
    compression === 'gzip'
      ? createGunzip({ chunkSize: 256 * 1024 })
      : createZstdDecompress({ chunkSize: 256 * 1024 })
  input.on('error', (error) => inflate.destroy(error))
  return input.pipe(inflate)
}

/** The first `bytes` bytes (fewer at the end of the stream) and a stream of everything. */
async function peek(stream: Readable, bytes: number): Promise<{ head: Buffer; rest: Readable }> {
  const iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
  const chunks: Buffer[] = []
  let length = 0
  let done = false
  while (length < bytes) {
    const next = await iterator.next()
    if (next.done) {
      done = true
      break
    }
    chunks.push(next.value)
    length += next.value.length
  }
  const head = Buffer.concat(chunks)
  const rest = Readable.from(
    (async function* () {
      if (head.length > 0) yield head
      if (done) return
      for (;;) {
        const next = await iterator.next()
        if (next.done) return
        yield next.value
      }
    })(),
  )
  return { head: head.subarray(0, bytes), rest }
}

async function drain(entry: ReadEntry): Promise<void> {
  entry.resume()
  if (!entry.emittedEnd) await once(entry, 'end')
}

function asArchiveError(error: unknown): unknown {
  if (isDaemonError(error) || jailFaultOf(error)) return error
  const code = (error as { code?: unknown } | null)?.code
  if (
    typeof code === 'string' &&
    (code.startsWith('Z_') || code.startsWith('TAR_') || code.startsWith('ERR__ZSTD'))
  ) {
    return new CorruptArchiveError(error)
  }
  if (error instanceof Error && /zstd|incorrect header|unexpected end/i.test(error.message)) {
    return new CorruptArchiveError(error)
  }
  return error
}

/** A client's directory as a jail path: `..` that climbs out of the root is refused (404). */
function normalizeDirectory(directory: string): string {
  return parseJailPath(directory).relative
}
