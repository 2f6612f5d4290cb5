import { createTarGzStream, type Jail } from '@node/filesystem-jail'
import type {
  BackupCompleted,
  BackupStatus,
  PanelGateway,
  ServerEventBus,
} from '@node/server-state'
import { nullLogger, systemClock, type Clock, type Logger } from '@node/shared-kernel'

import { measureTree, tarGzSizeBound } from './archive-size-bound.js'
import { assertBackupUuid } from './backup-messages.js'
import { loadIgnoreRules } from './ignore-rules.js'
import type { BackupStore, StoredBackup } from './ports/backup-store.js'
import { startProgressLog } from './progress-log.js'
import { limitRate } from './rate-limit.js'

/** The report of a backup that failed (panel-remote-calls §6.2). */
export const FAILED_BACKUP_STATUS: BackupStatus = {
  checksum: '',
  checksumType: '',
  size: 0,
  successful: false,
  parts: null,
}

export interface CreateBackupOptions {
  /** Where the result is reported (`setBackupStatus`, which retries 5xx and never 4xx). */
  readonly panel: Pick<PanelGateway, 'setBackupStatus'>
  readonly logger?: Logger
  readonly clock?: Clock
  /** gzip level 0-9 (`gzipLevelOf(system.backups.compression_level)`); default 1. */
  readonly compressionLevel?: number
  /** `system.backups.write_limit` in bytes per second; 0 (default) is unlimited. */
  readonly writeLimitBytesPerSecond?: number
  /** Spacing of the progress lines in the log; default 5 s. */
  readonly progressLogIntervalMs?: number
}

export interface BackupRequest {
  /** The Panel's backup uuid; must be a canonical lower-case UUID. */
  readonly backupUuid: string
  /** The request's `ignore`: newline-separated gitignore patterns, possibly empty. */
  readonly ignore: string
  /** The server's files; read only through it. */
  readonly jail: Jail
  /** The server's bus, for `backup completed`. */
  readonly events: ServerEventBus
  /** Where the archive goes: the adapter the request named. */
  readonly store: BackupStore
  /** Aborts the backup (the server is deleted); it then fails like any other error. */
  readonly signal?: AbortSignal
  /** The server's logger (bound to `server_id`); default the use case's. */
  readonly logger?: Logger
}

/** How a backup ended; the Panel and the websocket have been told either way. */
export type BackupOutcome =
  | { readonly successful: true; readonly stored: StoredBackup }
  | { readonly successful: false; readonly error: unknown }

/**
 * Creates a backup (behaviour §9.1, §9.2): a .tar.gz of the server's root, read through the
 * jail while the server may keep running, streamed into the store (checksum and size computed
 * on the way), the result reported to the Panel and published as `backup completed`.
 */
export class CreateBackup {
  readonly #panel: Pick<PanelGateway, 'setBackupStatus'>
  readonly #logger: Logger
  readonly #clock: Clock
  readonly #level: number
  readonly #writeLimit: number
  readonly #progressIntervalMs: number | undefined

  constructor(options: CreateBackupOptions) {
    this.#panel = options.panel
    this.#logger = options.logger ?? nullLogger
    this.#clock = options.clock ?? systemClock
    this.#level = options.compressionLevel ?? 1
    this.#writeLimit = options.writeLimitBytesPerSecond ?? 0
    this.#progressIntervalMs = options.progressLogIntervalMs
  }

  /**
   * Throws BadRequestError at once (nothing started, nothing reported) when the uuid is not a
   * canonical UUID; otherwise returns the backup's run, which never rejects: every failure is
   * reported to the Panel and published, and the outcome says how it ended.
   */
  execute(request: BackupRequest): Promise<BackupOutcome> {
    assertBackupUuid(request.backupUuid)
    return this.#run(request)
  }

  async #run(request: BackupRequest): Promise<BackupOutcome> {
    const uuid = request.backupUuid
    const logger = (request.logger ?? this.#logger).child({ backup_uuid: uuid })
    logger.info('creating backup for server')
    let stored: StoredBackup
    try {
      stored = await this.#generate(request, logger)
    } catch (error) {
      logger.error('failed to generate backup', { err: error })
      await this.#reportFailure(uuid, logger)
      this.#publish(request.events, uuid, undefined)
      return { successful: false, error }
    }
    try {
      await this.#panel.setBackupStatus(uuid, {
        checksum: stored.sha1,
        checksumType: 'sha1',
        size: stored.sizeBytes,
        successful: true,
        parts: stored.parts,
      })
    } catch (error) {
      // The Panel does not know the backup exists: it must not linger as one (§6.2).
      logger.error('failed to notify panel of successful backup; removing it', { err: error })
      await request.store.remove(uuid).catch(() => undefined)
      await this.#reportFailure(uuid, logger)
      this.#publish(request.events, uuid, undefined)
      return { successful: false, error }
    }
    logger.info('backup completed', { size: stored.sizeBytes, checksum: stored.sha1 })
    this.#publish(request.events, uuid, stored)
    return { successful: true, stored }
  }

  async #generate(request: BackupRequest, logger: Logger): Promise<StoredBackup> {
    const { jail } = request
    const signal = request.signal ?? new AbortController().signal
    signal.throwIfAborted()
    const ignore = await loadIgnoreRules(jail, request.ignore)
    let bytesRead = 0
    const archive = createTarGzStream(jail, {
      directory: '',
      ignore,
      symlinks: true,
      level: this.#level,
      signal,
      onProgress: (bytes) => (bytesRead = bytes),
      onSkipped: (path, reason) => logger.warn('file left out of the backup', { path, reason }),
    })
    const source = limitRate(archive, this.#writeLimit, this.#clock)
    const stopLog = startProgressLog({
      logger,
      clock: this.#clock,
      message: 'backup in progress',
      read: () => ({ bytes_read: bytesRead }),
      intervalMs: this.#progressIntervalMs,
    })
    try {
      return await request.store.put(request.backupUuid, source, {
        signal,
        maxSizeBytes: async () => tarGzSizeBound(await measureTree(jail, ignore, signal)),
      })
    } finally {
      stopLog()
      // A store that gave up early must not leave the walk reading the server's files.
      source.destroy()
      archive.destroy()
    }
  }

  async #reportFailure(uuid: string, logger: Logger): Promise<void> {
    try {
      await this.#panel.setBackupStatus(uuid, FAILED_BACKUP_STATUS)
    } catch (error) {
      logger.warn('failed to notify panel of failed backup state', { err: error })
    }
  }

  #publish(events: ServerEventBus, uuid: string, stored: StoredBackup | undefined): void {
    const payload: BackupCompleted = {
      uuid,
      isSuccessful: stored !== undefined,
      checksum: stored?.sha1 ?? '',
      checksumType: 'sha1',
      fileSize: stored?.sizeBytes ?? 0,
    }
    events.publish('backup completed', payload)
  }
}
