import { once } from 'node:events'
import path from 'node:path'
import type { Readable } from 'node:stream'

import type { Logger } from '@node/shared-kernel'

import type { Jail } from '../jail.js'
import { parseJailPath } from '../jail-path.js'
import {
  asArchiveError,
  type BombGuard,
  type DecompressResult,
  extractStream,
  HEAD_BYTES,
  peek,
} from './extract.js'
import { extractZip, isZip } from './unzip.js'

export type { DecompressResult } from './extract.js'

export interface DecompressOptions extends BombGuard {
  /** Jail path entries are extracted under. */
  readonly directory: string
  /** Jail path of the archive. */
  readonly file: string
  readonly signal?: AbortSignal
  /** Called with the running total of bytes written into the jail. */
  readonly onProgress?: (bytesWritten: number) => void
  readonly logger?: Logger
}

export interface ExtractTarGzOptions extends BombGuard {
  readonly signal?: AbortSignal
  /** Called with each entry's jail path just before it is written. */
  readonly onEntry?: (path: string) => void
  /** Jail path entries are extracted under; default the root. */
  readonly directory?: string
  /** Every raw byte of the archive as read (a transfer's SHA-256 of what it received). */
  readonly onArchiveChunk?: (chunk: Buffer) => void
  /** Called with the running total of bytes written into the jail. */
  readonly onProgress?: (bytesWritten: number) => void
  /** Where skipped symlinks are logged. */
  readonly logger?: Logger
}

const DEFAULT_MAX_RATIO = 200
const DEFAULT_GRACE = 64 * 1024 * 1024

/**
 * Extracts a tar stream (gzip, zstd or plain, by content) into the jail: backup restores and
 * transfers. The rules of decompressArchive, plus symlink entries, which become links when their
 * target stays inside the root (else skipped and logged). Rejects on the first failure; the entry
 * in flight is not left behind. The `ArchiveExtractor` of @node/backup.
 */
export async function extractTarGz(
  jail: Jail,
  archive: Readable,
  options: ExtractTarGzOptions = {},
): Promise<DecompressResult> {
  return extractStream(jail, archive, {
    ...options,
    directory: parseJailPath(options.directory ?? '').relative,
    symlinks: true,
  })
}

/**
 * http-api §7.9: extracts `file` into `directory`. The format is read from the content: zip
 * (see unzip.ts), tar, and tar or a single file inside gzip or zstd (extract.ts, the engine
 * restores use too); anything else (rar, 7z, bzip2, xz…) is the unknown-format 400. Links,
 * devices and FIFOs are skipped and counted, as are unsafe paths; denied entries are skipped
 * silently, as the reference.
 */
export async function decompressArchive(
  jail: Jail,
  options: DecompressOptions,
): Promise<DecompressResult> {
  options.signal?.throwIfAborted()
  const directory = parseJailPath(options.directory).relative
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
    return await extractStream(jail, rest, {
      ...options,
      directory,
      symlinks: false,
      singleFileName: singleFileName(path.posix.basename(options.file)),
    })
  } catch (error) {
    throw asArchiveError(error)
  } finally {
    raw.destroy()
  }
}

function singleFileName(archive: string): string {
  const stripped = archive.replace(/\.(gz|gzip|zst|zstd)$/i, '')
  return stripped === archive || stripped === '' ? `${archive}.out` : stripped
}
