import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { NotFoundError } from '@node/shared-kernel'

import { ArchiveDigest } from '../archive-digest.js'
import { assertBackupUuid, BACKUP_MESSAGES } from '../backup-messages.js'
import type { BackupStore, OpenedBackup, PutOptions, StoredBackup } from '../ports/backup-store.js'

/** What an InMemoryBackupStore keeps; share one between two stores to play a restart. */
export class InMemoryBackupBackend {
  readonly archives = new Map<string, Buffer>()
  /** Backups whose put has started and not ended: what a crash would leave behind. */
  readonly inFlight = new Set<string>()
}

/**
 * A BackupStore held in memory, for unit tests of the use cases. It passes the BackupStore
 * contract. `failNext` makes a put fail after some bytes (a full disk, a refused upload);
 * `announcesSize` makes it ask for `maxSizeBytes` and hold the archive to it, as S3 does.
 */
export class InMemoryBackupStore implements BackupStore {
  readonly backend: InMemoryBackupBackend
  /** The bound each put was given, when `announcesSize`. */
  readonly announcedSizes: number[] = []
  readonly #announcesSize: boolean
  readonly #running = new Set<string>()
  #failures: { error: Error; afterBytes: number }[] = []

  constructor(
    options: { readonly backend?: InMemoryBackupBackend; readonly announcesSize?: boolean } = {},
  ) {
    this.backend = options.backend ?? new InMemoryBackupBackend()
    this.#announcesSize = options.announcesSize ?? false
  }

  /** The next put fails with `error` once `afterBytes` bytes have arrived. */
  failNext(error: Error, afterBytes = 0): void {
    this.#failures.push({ error, afterBytes })
  }

  async put(backupUuid: string, archive: Readable, options: PutOptions): Promise<StoredBackup> {
    assertBackupUuid(backupUuid)
    const failure = this.#failures.shift()
    this.backend.inFlight.add(backupUuid)
    this.#running.add(backupUuid)
    try {
      const limit = this.#announcesSize ? await options.maxSizeBytes?.() : undefined
      if (limit !== undefined) this.announcedSizes.push(limit)
      const digest = new ArchiveDigest()
      const chunks: Buffer[] = []
      let received = 0
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          received += chunk.length
          if (failure && received >= failure.afterBytes) return done(failure.error)
          if (limit !== undefined && received > limit) {
            return done(new Error(`the archive outgrew the announced ${limit} bytes`))
          }
          chunks.push(chunk)
          done()
        },
      })
      await pipeline(archive, digest, sink, { signal: options.signal })
      if (failure) throw failure.error
      this.backend.archives.set(backupUuid, Buffer.concat(chunks))
      return { sizeBytes: digest.sizeBytes, sha1: digest.sha1, parts: null }
    } finally {
      this.backend.inFlight.delete(backupUuid)
      this.#running.delete(backupUuid)
    }
  }

  async open(backupUuid: string): Promise<OpenedBackup> {
    await Promise.resolve()
    const archive = this.#archive(backupUuid)
    return { stream: Readable.from([archive]), sizeBytes: archive.length }
  }

  async remove(backupUuid: string): Promise<void> {
    await Promise.resolve()
    this.#archive(backupUuid)
    this.backend.archives.delete(backupUuid)
  }

  async recoverInterrupted(): Promise<readonly string[]> {
    await Promise.resolve()
    const interrupted = [...this.backend.inFlight].filter((uuid) => !this.#running.has(uuid))
    for (const uuid of interrupted) this.backend.inFlight.delete(uuid)
    return interrupted
  }

  #archive(backupUuid: string): Buffer {
    assertBackupUuid(backupUuid)
    const archive = this.backend.archives.get(backupUuid)
    if (archive === undefined) throw new NotFoundError(BACKUP_MESSAGES.notFound)
    return archive
  }
}
