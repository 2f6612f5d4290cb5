import { statfs } from 'node:fs/promises'

import { type Clock, type Logger, nullLogger, systemClock } from '@node/shared-kernel'

import { jailError } from './errors.js'

export interface VolumeReserveOptions {
  /** A path on the volume that holds the servers' files (`system.data`). */
  readonly path: string
  /** Bytes of free space every write must leave on the volume; 0 turns the reserve off. */
  readonly reserveBytes: number
  /** How long one measurement of the free space is trusted (default 1 000 ms). */
  readonly refreshMs?: number
  /** The volume's free bytes (default: statfs, blocks available to unprivileged users). */
  readonly measure?: (path: string) => Promise<number>
  readonly clock?: Clock
  readonly logger?: Logger
}

const DEFAULT_REFRESH_MS = 1000

/**
 * Free space the node keeps on the volume of its servers (`system.disk_reserve`), so that a
 * server without a disk limit, or many servers at once, cannot fill the disk every server and
 * the daemon itself need. One instance serves every jail of the node: the quota of each jail
 * asks it before a write grows (`check`) and counts every byte about to be written (`take`).
 * The free space is measured with statfs at most once per `refreshMs`, in the background;
 * between measurements the bytes taken since the last one are subtracted, so the estimate never
 * runs ahead of the writes made through the jails. Unknown free space (no measurement yet, or a
 * failed one) never blocks.
 */
export class VolumeReserve {
  readonly #path: string
  readonly #refreshMs: number
  readonly #measure: (path: string) => Promise<number>
  readonly #clock: Clock
  readonly #logger: Logger
  #reserve: number
  #free: number | undefined
  #measuredAt = Number.NEGATIVE_INFINITY
  #taken = 0
  #takenAtMeasure = 0
  #measuring: Promise<void> | undefined

  constructor(options: VolumeReserveOptions) {
    this.#path = options.path
    this.#reserve = checkBytes(options.reserveBytes)
    this.#refreshMs = Math.max(0, options.refreshMs ?? DEFAULT_REFRESH_MS)
    this.#measure = options.measure ?? measureFreeBytes
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? nullLogger
  }

  get reserveBytes(): number {
    return this.#reserve
  }

  /** The operator changed `system.disk_reserve`; writes from now on keep the new amount. */
  setReserveBytes(bytes: number): void {
    this.#reserve = checkBytes(bytes)
  }

  /** Bytes that may still be written before the reserve is reached; Infinity when unknown. */
  available(): number {
    if (this.#reserve === 0 || this.#free === undefined) return Number.POSITIVE_INFINITY
    this.#refreshIfStale()
    const free = this.#free - (this.#taken - this.#takenAtMeasure)
    return Math.max(0, free - this.#reserve)
  }

  /** Throws the §3.1 quota error unless `bytes` more can be written and still keep the reserve. */
  check(bytes: number, path = ''): void {
    if (bytes > 0 && bytes > this.available()) throw jailError('quota', path)
  }

  /** Counts `bytes` about to be written, or throws the §3.1 quota error when they do not fit. */
  take(bytes: number, path = ''): void {
    if (bytes <= 0) return
    this.check(bytes, path)
    this.#taken += bytes
  }

  /** Measures once when nothing was measured yet (a jail opening awaits it). */
  async ready(): Promise<void> {
    if (this.#reserve > 0 && this.#free === undefined) await this.refresh()
  }

  /** Measures the free space now, or joins the measurement in progress. */
  refresh(): Promise<void> {
    this.#measuring ??= this.#runMeasure().finally(() => {
      this.#measuring = undefined
    })
    return this.#measuring
  }

  async #runMeasure(): Promise<void> {
    const takenBefore = this.#taken
    try {
      const free = await this.#measure(this.#path)
      // Bytes taken while statfs ran may not be in its answer: they stay subtracted.
      this.#free = free
      this.#takenAtMeasure = takenBefore
    } catch (error) {
      this.#logger.warn('failed to measure the free space of the servers volume', { error })
    } finally {
      this.#measuredAt = this.#clock.now()
    }
  }

  #refreshIfStale(): void {
    if (this.#measuring || this.#clock.now() - this.#measuredAt < this.#refreshMs) return
    void this.refresh()
  }
}

async function measureFreeBytes(path: string): Promise<number> {
  const stats = await statfs(path)
  return stats.bavail * stats.bsize
}

function checkBytes(bytes: number): number {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`bad reserve: ${bytes}`)
  return Math.trunc(bytes)
}
