import { once } from 'node:events'
import path from 'node:path'
import { Readable } from 'node:stream'
import { createGunzip, createZstdDecompress } from 'node:zlib'

import { isDaemonError, type Logger, nullLogger } from '@node/shared-kernel'
import { Parser, type ReadEntry } from 'tar'

import { jailFaultOf } from '../errors.js'
import type { Jail } from '../jail.js'
import { parseJailPath } from '../jail-path.js'
import { ArchiveBombError, CorruptArchiveError, UnsupportedArchiveError } from './archive-errors.js'
import { FileBatchWriter } from './file-batch-writer.js'
import { detectCompression, isTarHeader, type Compression } from './detect-format.js'

/** The bomb guards (decompress's defaults). */
export interface BombGuard {
  /**
   * At most this many uncompressed bytes per compressed byte (default 200). DEFLATE reaches
   * about 1032:1 at best and zstd far more, so the default fires on a bomb of either, while real
   * server files (worlds, logs, databases) stay far below it.
   */
  readonly maxRatio?: number
  /** The ratio applies past this many uncompressed bytes (default 64 MiB). */
  readonly ratioGraceBytes?: number
  /** Never more than this many uncompressed bytes (default unlimited: the quota). */
  readonly maxBytes?: number
}

/** What the one extraction engine takes; decompressArchive and extractTarGz set it up. */
export interface StreamExtractOptions extends BombGuard {
  /** Jail path (lexically resolved) entries are extracted under. */
  readonly directory: string
  readonly signal?: AbortSignal
  /** Called with the running total of bytes written into the jail. */
  readonly onProgress?: (bytesWritten: number) => void
  /** Called with each entry's jail path just before it is written (skipped entries are not). */
  readonly onEntry?: (path: string) => void
  /**
   * Called with every raw (still compressed) byte of the archive as it is read, all of it,
   * trailing bytes after the tar's end included: a transfer hashes the archive here.
   */
  readonly onArchiveChunk?: (chunk: Buffer) => void
  /**
   * Symlink entries become links when their target (relative to the link) stays inside the
   * root, lexically; others are skipped and logged. False (decompress): every link is skipped.
   */
  readonly symlinks?: boolean
  /**
   * A compressed stream that holds no tar is one file: written as this name in `directory`
   * (decompress). Unset: such a stream is refused as not an archive.
   */
  readonly singleFileName?: string
  readonly logger?: Logger
}

/** How an extraction ended, for logs: entries written and entries refused. */
export interface DecompressResult {
  readonly written: number
  readonly skipped: number
}

export const HEAD_BYTES = 512
const DEFAULT_MAX_RATIO = 200
const DEFAULT_GRACE = 64 * 1024 * 1024
const SMALL_ENTRY_BYTES = 1024 * 1024
/** Small entries in memory and on their way to the disk at once: files, and bytes. */
const PARALLEL_WRITES = 256
const PARALLEL_BYTES = 32 * 1024 * 1024

/**
 * The one extraction engine for streams (decompress of tar/tar.gz/tar.zst, backup restores and
 * transfers): the compression is read from the content; the bomb guard counts raw against
 * inflated bytes; node-tar only parses, and every entry is written with the jail's own calls.
 * Refused (skipped, counted): absolute paths, `..` anywhere, hard links, devices, FIFOs, links
 * unless `symlinks` (and then those leaving the root), denied entries (silently, as the
 * reference). An entry is named only once all its declared bytes arrived; the quota stops the
 * extraction mid-entry; the entry being written when anything fails is not left behind (writes
 * go through a temporary file); entries before it stay, as the reference's.
 */
export async function extractStream(
  jail: Jail,
  raw: Readable,
  options: StreamExtractOptions,
): Promise<DecompressResult> {
  options.signal?.throwIfAborted()
  try {
    const { head, rest } = await peek(raw, HEAD_BYTES)
    const compression = detectCompression(head)
    if (compression === 'unsupported' || (compression === 'none' && !isTarHeader(head))) {
      throw new UnsupportedArchiveError(compression)
    }
    let compressed = 0
    const counted = (async function* () {
      for await (const chunk of rest as AsyncIterable<Buffer>) {
        compressed += chunk.length
        options.onArchiveChunk?.(chunk)
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
    if (!isTarHeader(content.head)) {
      if (options.singleFileName === undefined || compression === 'none') {
        throw new CorruptArchiveError(new Error('the stream holds no tar archive'))
      }
      return await extractSingleFile(jail, content.rest, options, options.singleFileName)
    }
    return await extractTar(jail, content.rest, options)
  } catch (error) {
    throw asArchiveError(error)
  } finally {
    raw.destroy()
  }
}

/** A single compressed file, written as `name` in the target directory. */
async function extractSingleFile(
  jail: Jail,
  source: Readable,
  options: StreamExtractOptions,
  name: string,
): Promise<DecompressResult> {
  const target = options.directory === '' ? name : `${options.directory}/${name}`
  options.onEntry?.(target)
  const writer = await jail.openWrite(target, { mode: 0o644 })
  let written = 0
  const progress = (async function* () {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      written += chunk.length
      options.onProgress?.(written)
      yield chunk
    }
  })()
  await writer.pipeFrom(progress, options.signal)
  return { written: 1, skipped: 0 }
}

async function extractTar(
  jail: Jail,
  source: Readable,
  options: StreamExtractOptions,
): Promise<DecompressResult> {
  const logger = options.logger ?? nullLogger
  const directory = options.directory
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
  // Settles once anything failed: an entry the parser will never finish is not waited for.
  const stopped = failed.then(
    () => undefined,
    () => undefined,
  )
  const drain = async (entry: ReadEntry): Promise<void> => {
    entry.resume()
    if (!entry.emittedEnd) await Promise.race([once(entry, 'end'), stopped])
  }
  let written = 0
  let skipped = 0
  let bytes = 0
  let chain = Promise.resolve()
  // Small entries are written by a worker in batches (file-batch-writer.ts), many at once.
  const files = new FileBatchWriter(jail, { replaceLinks: options.symlinks === true })
  const pending = new Set<Promise<void>>()
  const pendingPaths = new Set<string>()
  let pendingBytes = 0
  const settled = async (): Promise<void> => {
    while (pending.size > 0) await Promise.race(pending)
  }
  const skip = async (entry: ReadEntry): Promise<void> => {
    skipped++
    await drain(entry)
  }

  const handle = async (entry: ReadEntry): Promise<void> => {
    current = entry
    const rel = safeEntryPath(entry.path)
    const target = rel === undefined ? undefined : directory === '' ? rel : `${directory}/${rel}`
    try {
      if (failure !== undefined) return await drain(entry)
      if (target === undefined) return await skip(entry)
      if (entry.type === 'Directory') {
        await settled()
        options.onEntry?.(target)
        await jail.mkdirp(target)
        written++
        return await drain(entry)
      }
      if (entry.type === 'SymbolicLink' && options.symlinks === true) {
        await settled()
        const made = await restoreLink(jail, target, entry.linkpath ?? '', options, logger)
        if (made) written++
        else skipped++
        return await drain(entry)
      }
      if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
        return await skip(entry)
      }
      const writeOptions = {
        mode: (entry.mode ?? 0o644) & 0o777,
        ...(entry.mtime ? { mtime: entry.mtime } : {}),
      }
      const declared = entry.size
      if (declared <= SMALL_ENTRY_BYTES) {
        // Small files are read into memory and written while the parser moves on: per-file
        // system calls, not bytes, bound a tree of many small files.
        // Its own buffer of exactly its size: handed to the writer's thread without a copy.
        const data = Buffer.allocUnsafeSlow(declared)
        let got = 0
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          bytes += chunk.length
          options.onProgress?.(bytes)
          if (got + chunk.length > declared)
            throw new CorruptArchiveError(new Error('entry overflow'))
          got += chunk.copy(data, got)
        }
        checkSize(got, declared, target)
        while (
          pending.size > 0 &&
          (pending.size >= PARALLEL_WRITES ||
            pendingBytes + declared > PARALLEL_BYTES ||
            pendingPaths.has(target))
        ) {
          await Promise.race(pending)
        }
        options.onEntry?.(target)
        // `data` moves to the writer's thread (its length reads 0 then): counted by `declared`.
        pendingBytes += declared
        const task = files
          .write(target, data, writeOptions)
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
            pendingBytes -= declared
          })
        pending.add(task)
        pendingPaths.add(target)
        return
      }
      await settled()
      options.onEntry?.(target)
      const writer = await replacingLink(jail, target, options, () =>
        jail.openWrite(target, { ...writeOptions, size: declared }),
      )
      const counting = (async function* () {
        let got = 0
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          got += chunk.length
          bytes += chunk.length
          options.onProgress?.(bytes)
          yield chunk
        }
        // Named only once all its declared bytes arrived: a cut entry never replaces a file.
        checkSize(got, declared, target)
      })()
      await writer.pipeFrom(counting, stop.signal)
      written++
    } catch (error) {
      if (jailFaultOf(error)?.reason === 'denied') return await skip(entry)
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
    await files.close()
  }
}

/**
 * A symlink entry made a link at `target` when what it points to stays inside the root once
 * resolved lexically from the link's directory; absolute and escaping targets are skipped and
 * logged. A link already there is replaced; anything else there is kept (skipped and logged).
 */
async function restoreLink(
  jail: Jail,
  target: string,
  linkpath: string,
  options: StreamExtractOptions,
  logger: Logger,
): Promise<boolean> {
  const parent = path.posix.dirname(target)
  if (linkpath === '' || linkpath.startsWith('/') || !staysInside(parent, linkpath)) {
    logger.warn('archive symlink points outside the server root; skipped', {
      path: target,
      target: linkpath,
    })
    return false
  }
  options.onEntry?.(target)
  if (parent !== '.') await jail.mkdirp(parent)
  try {
    await jail.symlink(linkpath, target)
    return true
  } catch (error) {
    if (jailFaultOf(error)?.reason !== 'exists') throw error
  }
  const existing = await jail.stat(target)
  if (existing.kind !== 'symlink') {
    logger.warn('archive symlink would replace a file; skipped', { path: target })
    return false
  }
  await jail.remove(target)
  await jail.symlink(linkpath, target)
  return true
}

/**
 * Runs `write`; when a restore (`symlinks`) finds a symlink standing where a file goes, the link
 * (never what it points to) is removed and the write runs again. Decompress keeps the jail's
 * refusal: a final symlink is never written through.
 */
async function replacingLink<T>(
  jail: Jail,
  target: string,
  options: StreamExtractOptions,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write()
  } catch (error) {
    if (options.symlinks !== true || jailFaultOf(error)?.reason !== 'symlink') throw error
  }
  await jail.remove(target)
  return write()
}

function staysInside(parent: string, linkpath: string): boolean {
  try {
    parseJailPath(parent === '.' ? '' : parent, linkpath)
    return true
  } catch {
    return false
  }
}

function checkSize(got: number, declared: number, target: string): void {
  if (got !== declared) {
    throw new CorruptArchiveError(new Error(`${target}: ${got} bytes where ${declared} declared`))
  }
}

/** The entry's path relative to the target directory, or undefined when it must be refused. */
export function safeEntryPath(entryPath: string): string | undefined {
  if (entryPath.includes('\0') || entryPath.startsWith('/')) return undefined
  const parts = entryPath.split('/').filter((part) => part !== '' && part !== '.')
  if (parts.length === 0 || parts.includes('..')) return undefined
  return parts.join('/')
}

function decompressor(compression: Compression, source: AsyncIterable<Buffer>): Readable {
  const input = Readable.from(source)
  if (compression === 'none') return input
  const inflate =
    compression === 'gzip'
      ? createGunzip({ chunkSize: 1024 * 1024 })
      : createZstdDecompress({ chunkSize: 1024 * 1024 })
  input.on('error', (error) => inflate.destroy(error))
  return input.pipe(inflate)
}

/** The first `bytes` bytes (fewer at the end of the stream) and a stream of everything. */
export async function peek(
  stream: Readable,
  bytes: number,
): Promise<{ head: Buffer; rest: Readable }> {
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

export function asArchiveError(error: unknown): unknown {
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
