import type { Readable } from 'node:stream'

import { jailError } from '../errors.js'
import type { Jail } from '../jail.js'
import { parseJailPath } from '../jail-path.js'
import { TarWalkStream, type TarWalkOptions } from './tar-walk.js'

export interface TarGzStreamOptions extends TarWalkOptions {
  readonly signal?: AbortSignal
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
 * A .tar.gz of a jail subtree (TarWalkStream: directories, regular files, symlinks when asked;
 * FIFOs, devices, sockets, denied and ignored paths left out; files that vanish meanwhile
 * skipped), gzip'd by the walker as independent 1 MiB members, four at once on the libuv pool.
 * Errors, the abort signal's included, destroy the returned stream.
 */
export function createTarGzStream(jail: Jail, options: TarGzStreamOptions): Readable {
  const directory = normalizeDirectory(options.directory)
  const paths =
    options.paths === undefined
      ? undefined
      : [
          ...new Set(
            options.paths
              .map((given) => relativeEntry(directory, given))
              .filter((rel): rel is string => rel !== undefined),
          ),
        ]
  const gzip = new TarWalkStream(jail, { ...options, directory, paths })
  const signal = options.signal
  if (signal !== undefined) {
    const abort = (): void => {
      gzip.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    if (signal.aborted) abort()
    else signal.addEventListener('abort', abort, { once: true })
    gzip.once('close', () => signal.removeEventListener('abort', abort))
  }
  return gzip
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
