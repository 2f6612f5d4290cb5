import type { Readable } from 'node:stream'

import type { Jail } from '@node/filesystem-jail'
import type { PanelGateway, Server } from '@node/server-state'
import { ConflictError, systemClock, type Clock, type Logger } from '@node/shared-kernel'

import { assertBackupUuid, BACKUP_MESSAGES } from './backup-messages.js'
import { CoalescedMessages } from './coalesced-messages.js'
import { startProgressLog } from './progress-log.js'
import { limitRate } from './rate-limit.js'
import { truncateRoot } from './truncate-root.js'

/** How long a running server is given to stop before a restore gives up (behaviour §9.4). */
export const RESTORE_STOP_TIMEOUT_MS = 2 * 60_000

export interface ExtractOptions {
  readonly signal: AbortSignal
  /** Called with each entry's path (relative to the root) as it is about to be written. */
  readonly onEntry: (path: string) => void
}

/**
 * Writes the entries of a .tar.gz stream into the jail: every entry through the jail (the
 * quota admits each one), modes and mtimes from the archive, existing files replaced, others
 * left alone, with decompress's rules for unsafe paths, links, devices and bombs. Rejects on
 * the first failure; the entry in flight is not left behind.
 */
export type ArchiveExtractor = (
  jail: Jail,
  archive: Readable,
  options: ExtractOptions,
) => Promise<unknown>

/** What a restore needs of the server's runtime: `ServerRuntime.stopWithin` of @node/power. */
export interface ServerStopper {
  /** Stops the process, killing it after `timeoutMs` when `kill`, else rejecting then. */
  stopWithin(timeoutMs: number, kill: boolean): Promise<void>
}

export interface RestoreBackupOptions {
  /** Where the result is reported (`setRestoreStatus`). */
  readonly panel: Pick<PanelGateway, 'setRestoreStatus'>
  readonly extract: ArchiveExtractor
  readonly clock?: Clock
  /** `system.backups.write_limit` in bytes per second; 0 (default) is unlimited. */
  readonly writeLimitBytesPerSecond?: number
  /** Default RESTORE_STOP_TIMEOUT_MS. */
  readonly stopTimeoutMs?: number
  /** Spacing of `daemon message` frames; default 250 ms. */
  readonly messageIntervalMs?: number
  /** Spacing of the progress lines in the log; default 5 s. */
  readonly progressLogIntervalMs?: number
}

export interface RestoreRequest {
  readonly backupUuid: string
  /** Where the archive comes from; only the closing message differs. */
  readonly adapter: 'wings' | 's3'
  /** Empty the root first (`truncate_directory`). */
  readonly truncate: boolean
  readonly server: Server
  readonly jail: Jail
  readonly runtime: ServerStopper
  /**
   * Opens the archive: the local store's file, or the body of the Panel's download URL once the
   * route has checked it. Called after the server is flagged restoring and before anything is
   * deleted; its rejection is the request's error.
   */
  readonly openArchive: () => Promise<Readable>
}

export type RestoreOutcome =
  { readonly successful: true } | { readonly successful: false; readonly error: unknown }

export interface StartedRestore {
  /** The background part; never rejects. */
  readonly done: Promise<RestoreOutcome>
}

/**
 * Restores a backup into a server (http-api §9.2, behaviour §9.4). `start` does the part the
 * route answers for: it flags the server restoring (power actions are refused), opens the
 * archive, and empties the root when asked; any failure there clears the flag and rejects. The
 * rest runs in the background: the server is held suspended, stopped if it runs, the entries
 * are written through the jail with `(restoring): <path>` messages a few frames a second, the
 * Panel is told the result, and `backup restore completed` ends it, even on failure.
 */
export class RestoreBackup {
  readonly #panel: Pick<PanelGateway, 'setRestoreStatus'>
  readonly #extract: ArchiveExtractor
  readonly #clock: Clock
  readonly #writeLimit: number
  readonly #stopTimeoutMs: number
  readonly #messageIntervalMs: number | undefined
  readonly #progressIntervalMs: number | undefined

  constructor(options: RestoreBackupOptions) {
    this.#panel = options.panel
    this.#extract = options.extract
    this.#clock = options.clock ?? systemClock
    this.#writeLimit = options.writeLimitBytesPerSecond ?? 0
    this.#stopTimeoutMs = options.stopTimeoutMs ?? RESTORE_STOP_TIMEOUT_MS
    this.#messageIntervalMs = options.messageIntervalMs
    this.#progressIntervalMs = options.progressLogIntervalMs
  }

  /**
   * Rejects with BadRequestError for a uuid that is not a canonical UUID, ConflictError while
   * another restore runs, or the error of opening the archive or of emptying the root; the
   * server is then as it was (but for what the truncation removed before it failed).
   */
  async start(request: RestoreRequest): Promise<StartedRestore> {
    assertBackupUuid(request.backupUuid)
    const { server } = request
    if (server.isRestoring) throw new ConflictError(BACKUP_MESSAGES.restoring)
    server.setRestoring(true)
    const logger = server.logger.child({ backup_uuid: request.backupUuid })
    let archive: Readable | undefined
    try {
      logger.info('processing server backup restore request')
      // Opened before anything is deleted: a missing backup must not cost the server its files.
      archive = await request.openArchive()
      archive.on('error', () => undefined)
      if (request.truncate) {
        logger.info('received "truncate_directory" flag in request: deleting server files')
        await truncateRoot(request.jail)
      }
    } catch (error) {
      archive?.destroy()
      server.setRestoring(false)
      throw error
    }
    return { done: this.#run(request, archive, logger) }
  }

  async #run(request: RestoreRequest, archive: Readable, logger: Logger): Promise<RestoreOutcome> {
    const { server } = request
    server.forceSuspended(true)
    const messages = new CoalescedMessages({
      publish: (text) => server.events.publish('daemon message', text),
      clock: this.#clock,
      intervalMs: this.#messageIntervalMs,
    })
    let entries = 0
    const stopLog = startProgressLog({
      logger,
      clock: this.#clock,
      message: 'restore in progress',
      read: () => ({ entries }),
      intervalMs: this.#progressIntervalMs,
    })
    let outcome: RestoreOutcome
    try {
      if (server.state !== 'offline') {
        await request.runtime.stopWithin(this.#stopTimeoutMs, false)
      }
      logger.info('starting restoration of server files from backup', { adapter: request.adapter })
      await this.#extract(request.jail, limitRate(archive, this.#writeLimit, this.#clock), {
        signal: server.signal,
        onEntry: (path) => {
          entries++
          messages.push(`(restoring): ${path}`)
        },
      })
      outcome = { successful: true }
    } catch (error) {
      logger.error('failed to restore backup to server', { err: error, entries })
      outcome = { successful: false, error }
    } finally {
      stopLog()
      archive.destroy()
      messages.flush()
    }
    try {
      await this.#panel.setRestoreStatus(request.backupUuid, outcome.successful)
    } catch (error) {
      logger.error('failed to notify panel of backup restoration status', { err: error })
    }
    server.forceSuspended(false)
    server.events.publish(
      'daemon message',
      request.adapter === 's3' ? BACKUP_MESSAGES.restoredS3 : BACKUP_MESSAGES.restoredLocal,
    )
    server.events.publish('backup restore completed', undefined)
    server.setRestoring(false)
    logger.info('completed server restoration from backup', {
      successful: outcome.successful,
      entries,
    })
    return outcome
  }
}
