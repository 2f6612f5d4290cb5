import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pipeline, type Readable } from 'node:stream'

import {
  ArchiveDigest,
  assertBackupUuid,
  BACKUP_MESSAGES,
  isBackupUuid,
  type BackupStore,
  type OpenedBackup,
  type PutOptions,
  type StoredBackup,
  type UploadedPart,
} from '@node/backup'
import type { PanelGateway } from '@node/server-state'
import { BadRequestError, NotFoundError, nullLogger, type Logger } from '@node/shared-kernel'

import { MemoryPart, SpooledPart, type PartBuffer } from './part-buffer.js'
import { uploadPart, type PartRetryPolicy } from './upload-part.js'

export interface S3BackupStoreOptions {
  /** Presigns the part URLs (`getBackupUploadParts`, the Panel's `GET /backups/{uuid}?size=`). */
  readonly panel: Pick<PanelGateway, 'getBackupUploadParts'>
  /**
   * A directory of this store's own (e.g. `<system.tmp_directory>/s3-backups`): parts larger
   * than `spoolThresholdBytes` are spooled here, one file per part in flight, and each running
   * upload keeps a marker file here so that a crash can be told to the Panel after a restart.
   */
  readonly spoolDirectory: string
  /** Parts up to this size are held in memory, larger ones spooled; default 64 MiB. */
  readonly spoolThresholdBytes?: number
  /** Parts uploading at once; default 2. */
  readonly partsInFlight?: number
  /** Per attempt of a part; default 2 h (the reference's). */
  readonly partTimeoutMs?: number
  readonly retry?: PartRetryPolicy
  readonly logger?: Logger
}

const DEFAULT_SPOOL_THRESHOLD = 64 * 1024 * 1024
const DEFAULT_PARTS_IN_FLIGHT = 2
const DEFAULT_PART_TIMEOUT_MS = 2 * 60 * 60 * 1000
// `<uuid>.<16 hex>.upload` marks a running put; `<uuid>.<16 hex>.part-<n>` is one spooled part.
const WORK_FILE =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([0-9a-f]{16})\.(upload|part-\d+)$/

/**
 * S3 as a BackupStore (the `s3` adapter), through the Panel: it presigns one `UploadPart` URL
 * per part of the size the daemon announces, and completes the multipart upload with the parts
 * reported (panel-remote-calls §6). The archive is cut into parts as it is produced and each part
 * is uploaded as soon as it is full, several at once; the archive is never copied whole to the
 * disk. Memory stays under (parts in flight + 1) × the smaller of the part size and the spool
 * threshold; the disk holds at most that many spooled parts.
 */
export class S3BackupStore implements BackupStore {
  readonly #panel: Pick<PanelGateway, 'getBackupUploadParts'>
  readonly #spool: string
  readonly #threshold: number
  readonly #inFlight: number
  readonly #timeoutMs: number
  readonly #retry: PartRetryPolicy | undefined
  readonly #logger: Logger
  /** `<uuid>.<random>` of the puts this instance runs: never swept from under them. */
  readonly #running = new Set<string>()

  constructor(options: S3BackupStoreOptions) {
    this.#panel = options.panel
    this.#spool = path.resolve(options.spoolDirectory)
    this.#threshold = options.spoolThresholdBytes ?? DEFAULT_SPOOL_THRESHOLD
    this.#inFlight = Math.max(1, options.partsInFlight ?? DEFAULT_PARTS_IN_FLIGHT)
    this.#timeoutMs = options.partTimeoutMs ?? DEFAULT_PART_TIMEOUT_MS
    this.#retry = options.retry
    this.#logger = options.logger ?? nullLogger
  }

  async put(backupUuid: string, archive: Readable, options: PutOptions): Promise<StoredBackup> {
    assertBackupUuid(backupUuid)
    options.signal.throwIfAborted()
    if (options.maxSizeBytes === undefined) {
      throw new TypeError('an S3 put needs maxSizeBytes: the Panel presigns parts for a size')
    }
    const key = `${backupUuid}.${randomBytes(8).toString('hex')}`
    const logger = this.#logger.child({ backup_uuid: backupUuid })
    this.#running.add(key)
    const marker = path.join(this.#spool, `${key}.upload`)
    // Stops the reading and every upload at the first failure, the caller's abort included.
    const stop = new AbortController()
    const signal = AbortSignal.any([options.signal, stop.signal])
    const parts = new Set<PartBuffer>()
    const digest = new ArchiveDigest()
    pipeline(archive, digest, () => undefined)
    const onAbort = (): void => {
      digest.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      await fs.mkdir(this.#spool, { recursive: true, mode: 0o700 })
      await fs.writeFile(marker, '', {
        flag: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
        mode: 0o600,
      })
      const bound = await options.maxSizeBytes()
      const presigned = await this.#panel.getBackupUploadParts(backupUuid, bound, signal)
      const urls = presigned.parts
      const partSize = presigned.partSize
      if (urls.length === 0 || !Number.isSafeInteger(partSize) || partSize <= 0) {
        throw new Error('the Panel gave no usable part URLs for the backup')
      }
      logger.info('uploading backup to s3', { parts_available: urls.length, part_size: partSize })

      const uploaded: UploadedPart[] = []
      const uploads = new Set<Promise<void>>()
      // A part can fail while none is awaited: kept here so that it is never lost.
      let failed: { error: unknown } | undefined
      const settle = async (all: boolean): Promise<void> => {
        while (uploads.size >= (all ? 1 : this.#inFlight)) await Promise.race(uploads)
        if (failed) throw failed.error
      }
      const launch = async (part: PartBuffer, partNumber: number): Promise<void> => {
        await part.seal()
        await settle(false)
        const url = urls[partNumber - 1] as string
        const upload = uploadPart(
          { partNumber, url, size: part.size, body: () => part.body() },
          {
            signal,
            timeoutMs: this.#timeoutMs,
            retry: this.#retry,
            onRetry: (attempt, error, delayMs) =>
              logger.warn('retrying s3 part upload', {
                part_number: partNumber,
                attempt,
                delay_ms: delayMs,
                error: error.message,
              }),
          },
        ).then(
          async (etag) => {
            uploaded.push({ etag, partNumber })
            logger.debug('uploaded backup part', { part_number: partNumber })
            await part.dispose()
            parts.delete(part)
          },
          (error: unknown) => {
            failed ??= { error }
            stop.abort(error)
            throw error
          },
        )
        const tracked = upload.finally(() => uploads.delete(tracked))
        uploads.add(tracked)
        tracked.catch(() => undefined)
      }

      let current: PartBuffer | undefined
      let partNumber = 0
      for await (const chunk of digest as AsyncIterable<Buffer>) {
        for (let offset = 0; offset < chunk.length;) {
          if (current === undefined) {
            partNumber++
            if (partNumber > urls.length) {
              throw new Error(
                `the archive outgrew the ${bound} bytes announced to the Panel (${urls.length} parts of ${partSize})`,
              )
            }
            current = await this.#newPart(key, partNumber, partSize)
            parts.add(current)
          }
          const take = Math.min(partSize - current.size, chunk.length - offset)
          await current.append(chunk.subarray(offset, offset + take))
          offset += take
          if (current.size === partSize) {
            await launch(current, partNumber)
            current = undefined
          }
        }
      }
      if (current !== undefined) await launch(current, partNumber)
      if (partNumber === 0) {
        // An empty archive still needs one (empty) part for the upload to complete.
        const empty = await this.#newPart(key, 1, 0)
        parts.add(empty)
        await launch(empty, 1)
      }
      await settle(true)
      uploaded.sort((a, b) => a.partNumber - b.partNumber)
      logger.info('backup has been uploaded to s3', { parts: uploaded.length })
      return { sizeBytes: digest.sizeBytes, sha1: digest.sha1, parts: uploaded }
    } catch (error) {
      stop.abort(error)
      throw error
    } finally {
      signal.removeEventListener('abort', onAbort)
      archive.destroy()
      digest.destroy()
      await Promise.all([...parts].map((part) => part.dispose()))
      await fs.rm(marker, { force: true })
      this.#running.delete(key)
    }
  }

  /** The archive lives in the Panel's bucket: only a URL the Panel presigns reaches it. */
  open(backupUuid: string): Promise<OpenedBackup> {
    return notHeldHere(backupUuid)
  }

  /** The Panel deletes S3 objects itself; the reference answers 404 here too. */
  remove(backupUuid: string): Promise<void> {
    return notHeldHere(backupUuid)
  }

  async recoverInterrupted(): Promise<readonly string[]> {
    let names: string[]
    try {
      names = await fs.readdir(this.#spool)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const interrupted = new Set<string>()
    for (const name of names) {
      const match = WORK_FILE.exec(name)
      if (match === null || this.#running.has(`${match[1]}.${match[2]}`)) continue
      await fs.rm(path.join(this.#spool, name), { force: true })
      interrupted.add(match[1] as string)
    }
    return [...interrupted]
  }

  async #newPart(key: string, partNumber: number, partSize: number): Promise<PartBuffer> {
    if (partSize <= this.#threshold) return new MemoryPart()
    return SpooledPart.create(path.join(this.#spool, `${key}.part-${partNumber}`))
  }
}

function notHeldHere(backupUuid: string): Promise<never> {
  return Promise.reject(
    isBackupUuid(backupUuid)
      ? new NotFoundError(BACKUP_MESSAGES.notFound)
      : new BadRequestError(BACKUP_MESSAGES.invalidUuid),
  )
}
