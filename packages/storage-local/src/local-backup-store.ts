import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import fs, { type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import {
  ArchiveDigest,
  assertBackupUuid,
  BACKUP_MESSAGES,
  type BackupStore,
  type OpenedBackup,
  type PutOptions,
  type StoredBackup,
} from '@node/backup'
import { NotFoundError } from '@node/shared-kernel'

export interface LocalBackupStoreOptions {
  /** Directory holding `<uuid>.tar.gz` files (`system.backup_directory`); created 0700 when missing. */
  readonly directory: string
  /**
   * The stream an archive is written to, over the temporary file's handle. Only for tests that
   * need a failing disk; it must leave the handle open.
   */
  readonly writeStream?: (handle: FileHandle) => Writable
}

// `.<uuid>.<16 hex>.part`: hidden, and never taken for a backup by the reference's lookup of
// `<uuid>.tar.gz`, nor by ours.
const TEMP_NAME =
  /^\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[0-9a-f]{16}\.part$/

/**
 * The node's disk as a BackupStore (the `wings` adapter): `<directory>/<uuid>.tar.gz`, mode
 * 0600. An archive is written to a temporary file beside it, flushed to the disk, and renamed
 * into place only once complete, so no crash or failure leaves a file that looks like a backup.
 */
export class LocalBackupStore implements BackupStore {
  readonly #directory: string
  readonly #writeStream: (handle: FileHandle) => Writable
  /** Temporary files of the puts this instance runs: never swept from under them. */
  readonly #running = new Set<string>()

  constructor(options: LocalBackupStoreOptions) {
    this.#directory = path.resolve(options.directory)
    this.#writeStream = options.writeStream ?? handleWriter
  }

  async put(backupUuid: string, archive: Readable, options: PutOptions): Promise<StoredBackup> {
    assertBackupUuid(backupUuid)
    options.signal.throwIfAborted()
    await fs.mkdir(this.#directory, { recursive: true, mode: 0o700 })
    const tempName = `.${backupUuid}.${randomBytes(8).toString('hex')}.part`
    const temp = path.join(this.#directory, tempName)
    this.#running.add(tempName)
    let handle: FileHandle | undefined
    try {
      handle = await fs.open(
        temp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      )
      const digest = new ArchiveDigest()
      await pipeline(archive, digest, this.#writeStream(handle), { signal: options.signal })
      await handle.sync()
      await handle.close()
      handle = undefined
      await fs.rename(temp, this.#fileOf(backupUuid))
      await syncDirectory(this.#directory)
      return { sizeBytes: digest.sizeBytes, sha1: digest.sha1, parts: null }
    } catch (error) {
      await handle?.close().catch(() => undefined)
      await fs.rm(temp, { force: true })
      throw error
    } finally {
      this.#running.delete(tempName)
    }
  }

  async open(backupUuid: string): Promise<OpenedBackup> {
    const file = this.#fileOf(backupUuid)
    let handle: FileHandle
    try {
      handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
    } catch (error) {
      throw notFoundOr(error)
    }
    try {
      const stats = await handle.stat()
      if (!stats.isFile()) throw new NotFoundError(BACKUP_MESSAGES.notFound)
      if (stats.size === 0) {
        await handle.close()
        return { stream: Readable.from([]), sizeBytes: 0 }
      }
      // Exactly the size announced (Content-Length), even if the file changed meanwhile.
      return {
        stream: handle.createReadStream({ start: 0, end: stats.size - 1 }),
        sizeBytes: stats.size,
      }
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  async remove(backupUuid: string): Promise<void> {
    const file = this.#fileOf(backupUuid)
    try {
      await fs.unlink(file)
    } catch (error) {
      throw notFoundOr(error)
    }
  }

  async recoverInterrupted(): Promise<readonly string[]> {
    let names: string[]
    try {
      names = await fs.readdir(this.#directory)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const interrupted = new Set<string>()
    for (const name of names) {
      const uuid = TEMP_NAME.exec(name)?.[1]
      if (uuid === undefined || this.#running.has(name)) continue
      await fs.rm(path.join(this.#directory, name), { force: true })
      interrupted.add(uuid)
    }
    return [...interrupted]
  }

  #fileOf(backupUuid: string): string {
    assertBackupUuid(backupUuid)
    return path.join(this.#directory, `${backupUuid}.tar.gz`)
  }
}

/**
 * Writes to the handle and leaves it open: it is flushed and closed before the rename makes the
 * file a backup. (A stream of `handle.createWriteStream` would hold the handle, and its `sync`
 * would then never settle.)
 */
function handleWriter(handle: FileHandle): Writable {
  const writeAll = async (chunk: Buffer): Promise<void> => {
    for (let offset = 0; offset < chunk.length;) {
      offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten
    }
  }
  return new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, done) {
      writeAll(chunk).then(() => done(), done)
    },
  })
}

function notFoundOr(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code
  // ELOOP: a symlink planted under a backup's name is not a backup.
  if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') {
    return new NotFoundError(BACKUP_MESSAGES.notFound, { cause: error })
  }
  return error
}

async function syncDirectory(directory: string): Promise<void> {
  const dir = await fs.open(directory, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}
