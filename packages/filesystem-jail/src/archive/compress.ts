import { pipeline, Readable } from 'node:stream'

import { jailError, jailFaultOf } from '../errors.js'
import type { Jail } from '../jail.js'
import { parseJailPath } from '../jail-path.js'
import { ParallelGzip } from './parallel-gzip.js'
import { encodeTarHeader, padding, TAR_TRAILER } from './tar-header.js'

export interface TarGzStreamOptions {
  /** Jail path the archive's entry names are relative to ('' or '/' for the root). */
  readonly directory: string
  /** Entries (relative to `directory`) to include, files or whole trees; default everything. */
  readonly paths?: readonly string[]
  /** Leaves out a path (relative to `directory`, '/'-separated) and, for a directory, its tree. */
  readonly ignore?: (relPath: string) => boolean
  /** gzip level 0-9; default 1 (`system.backups.compression_level: best_speed`). */
  readonly level?: number
  readonly signal?: AbortSignal
  /** Called with the running total of file bytes read. */
  readonly onProgress?: (bytesRead: number) => void
}

export interface CompressOptions {
  /** Jail path of the directory the archive is written in; entries are relative to it. */
  readonly directory: string
  /** Names relative to `directory`; never empty (the endpoint answers 422 before). */
  readonly files: readonly string[]
  readonly signal?: AbortSignal
  readonly onProgress?: (bytesRead: number) => void
  readonly level?: number
  /** The time in the archive's name; default now. */
  readonly now?: Date
}

// The jail's own temporary files (JailWriteStream): never archived, e.g. the archive being written.
const JAIL_TEMP = /^\.jail-[0-9a-f]{16}\.tmp$/

/**
 * http-api §7.8: writes `<directory>/archive-<time>.tar.gz` holding the regular files and
 * directories under `files`, entry names relative to `directory`. Written through the jail, so
 * the quota counts it and a failure leaves nothing behind. Resolves with its jail path.
 */
export async function compressFiles(
  jail: Jail,
  options: CompressOptions,
): Promise<{ path: string }> {
  const directory = normalizeDirectory(options.directory)
  // Every name is checked before the archive is opened: one that climbs out refuses the request.
  for (const given of options.files) relativeEntry(directory, given)
  const name = archiveName(options.now ?? new Date())
  const target = directory === '' ? name : `${directory}/${name}`
  const stream = createTarGzStream(jail, {
    directory,
    paths: options.files,
    level: options.level,
    signal: options.signal,
    onProgress: options.onProgress,
  })
  const writer = await jail.openWrite(target, { exclusive: true, mode: 0o644 })
  await writer.pipeFrom(stream, options.signal)
  return { path: target }
}

/**
 * `archive-` + the local RFC 3339 time with its colons removed + `.tar.gz`, the reference's name
 * (e.g. `archive-2024-03-17T145830-0600.tar.gz`, or `...T145830Z` in UTC).
 */
export function archiveName(now: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0')
  const offset = -now.getTimezoneOffset()
  const zone =
    offset === 0
      ? 'Z'
      : `${offset > 0 ? '+' : '-'}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`
  const date = `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}`
  const time = `${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`
  return `archive-${date}T${time}${zone}.tar.gz`
}

/**
 * A .tar.gz of a jail subtree, read through the jail (symlinks, FIFOs, devices and files with
 * several hard links are left out; files that vanish meanwhile are skipped). Errors, the abort
 * signal's included, destroy the returned stream.
 */
export function createTarGzStream(jail: Jail, options: TarGzStreamOptions): Readable {
  const gzip = new ParallelGzip({ level: options.level ?? 1 })
  const source = Readable.from(tarBlocks(jail, options), { objectMode: false })
  pipeline(source, gzip, () => undefined)
  const signal = options.signal
  if (signal !== undefined) {
    const abort = (): void => {
      gzip.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    signal.addEventListener('abort', abort, { once: true })
    gzip.once('close', () => signal.removeEventListener('abort', abort))
  }
  return gzip
}

async function* tarBlocks(jail: Jail, options: TarGzStreamOptions): AsyncGenerator<Buffer> {
  const directory = normalizeDirectory(options.directory)
  const ignore = options.ignore ?? (() => false)
  let read = 0
  const full = (rel: string): string => (directory === '' ? rel : `${directory}/${rel}`)

  async function* entry(rel: string): AsyncGenerator<Buffer> {
    options.signal?.throwIfAborted()
    if (ignore(rel)) return
    let stats
    try {
      stats = await jail.stat(full(rel))
    } catch (error) {
      if (skippable(error)) return
      throw error
    }
    if (stats.kind === 'directory') {
      yield encodeTarHeader({
        path: rel,
        kind: 'directory',
        size: 0,
        mode: stats.mode,
        mtime: new Date(stats.mtimeMs),
      })
      const names: string[] = []
      for await (const child of jail.list(full(rel))) {
        if (!JAIL_TEMP.test(child.name)) names.push(child.name)
      }
      names.sort()
      for (const name of names) yield* entry(`${rel}/${name}`)
      return
    }
    if (stats.kind !== 'file') return
    let readable
    try {
      readable = await jail.openRead(full(rel))
    } catch (error) {
      if (skippable(error)) return
      throw error
    }
    const size = readable.size
    yield encodeTarHeader({
      path: rel,
      kind: 'file',
      size,
      mode: readable.stats.mode,
      mtime: new Date(readable.stats.mtimeMs),
    })
    let sent = 0
    for await (const chunk of readable.stream as AsyncIterable<Buffer>) {
      const part = chunk.length > size - sent ? chunk.subarray(0, size - sent) : chunk
      sent += part.length
      read += part.length
      options.onProgress?.(read)
      if (part.length > 0) yield part
    }
    // A file truncated while read keeps its announced size, zero-filled, so the archive stays valid.
    if (sent < size) yield Buffer.alloc(size - sent)
    const pad = padding(size)
    if (pad > 0) yield Buffer.alloc(pad)
  }

  const roots = options.paths === undefined ? await topLevel(jail, directory) : options.paths
  const seen = new Set<string>()
  for (const given of roots) {
    const rel = relativeEntry(directory, given)
    if (rel === undefined || seen.has(rel)) continue
    seen.add(rel)
    yield* entry(rel)
  }
  yield TAR_TRAILER
}

async function topLevel(jail: Jail, directory: string): Promise<string[]> {
  const names: string[] = []
  for await (const child of jail.list(directory)) {
    if (!JAIL_TEMP.test(child.name)) names.push(child.name)
  }
  return names.sort()
}

/**
 * `given` (a client's name, relative to `directory`) as an entry name relative to `directory`,
 * or undefined when it names the directory itself. A name that climbs out of `directory` cannot
 * be an entry: refused (404), as is one that climbs out of the root.
 */
function relativeEntry(directory: string, given: string): string | undefined {
  const full = parseJailPath(directory, given).relative
  if (full === directory) return undefined
  if (directory === '') return full
  if (!full.startsWith(`${directory}/`)) throw jailError('outside_root', given)
  return full.slice(directory.length + 1)
}

/** A client's directory as a jail path: `..` that climbs out of the root is refused (404). */
function normalizeDirectory(directory: string): string {
  return parseJailPath(directory).relative
}

// Races with the server's own process, and entries the jail never reads: left out, not fatal.
function skippable(error: unknown): boolean {
  const reason = jailFaultOf(error)?.reason
  return (
    reason === 'not_found' ||
    reason === 'hard_link' ||
    reason === 'fifo' ||
    reason === 'device' ||
    reason === 'socket' ||
    reason === 'not_regular' ||
    reason === 'symlink' ||
    reason === 'denied'
  )
}
