import { type Clock, type Logger, nullLogger, systemClock } from '@node/shared-kernel'

export interface DiskUsageOptions {
  /** Measures the tree from scratch, in bytes (see walkDiskUsage). */
  readonly walk: () => Promise<number>
  /** How long a walk's result stays fresh (`system.disk_check_interval`); 0 disables walks. */
  readonly intervalMs: number
  readonly clock?: Clock
  readonly logger?: Logger
}

/** How a caller wants the number: walk now if stale, or the cached value at once. */
export type UsageFreshness = 'fresh' | 'stale-ok'

/**
 * A server's disk usage: the last full walk plus every adjustment made through the jail since,
 * so the number stays right between walks. Only one walk runs at a time.
 */
export class DiskUsage {
  readonly #walk: () => Promise<number>
  readonly #intervalMs: number
  readonly #clock: Clock
  readonly #logger: Logger
  #walked: number | undefined
  #walkedAt = Number.NEGATIVE_INFINITY
  #delta = 0
  #deltaDuringWalk = 0
  #running: Promise<number> | undefined

  constructor(options: DiskUsageOptions) {
    this.#walk = options.walk
    this.#intervalMs = Math.max(0, options.intervalMs)
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? nullLogger
  }

  /** Bytes now: last walk plus adjustments (only adjustments before the first walk). */
  get current(): number {
    return Math.max(0, (this.#walked ?? 0) + this.#delta)
  }

  /** Whether a walk has completed; until then `current` counts only adjustments. */
  get measured(): boolean {
    return this.#walked !== undefined
  }

  /** Records bytes written (positive) or freed (negative) through the jail. */
  adjust(bytes: number): void {
    if (!Number.isFinite(bytes) || bytes === 0) return
    this.#delta += bytes
    // A walk that is running may or may not see this change. Growth is kept on top of its
    // result (over-counting until the next walk keeps the limit safe); shrinkage is not.
    if (this.#running && bytes > 0) this.#deltaDuringWalk += bytes
  }

  /**
   * The usage. `fresh` walks first when the cached value is stale (joining a running walk);
   * `stale-ok` answers at once and starts a background walk when stale. A failed walk is
   * logged and leaves the previous value: unknown usage never blocks.
   */
  async get(freshness: UsageFreshness = 'stale-ok'): Promise<number> {
    if (!this.#stale()) return this.current
    if (freshness === 'fresh' || this.#running) {
      if (freshness === 'fresh') await this.refresh().catch(() => undefined)
      return this.current
    }
    this.refresh().catch(() => undefined)
    return this.current
  }

  /** Walks now (or joins the walk in progress) and resolves with the new usage. */
  refresh(): Promise<number> {
    if (this.#intervalMs === 0) return Promise.resolve(this.current)
    this.#running ??= this.#runWalk()
    return this.#running
  }

  async #runWalk(): Promise<number> {
    this.#deltaDuringWalk = 0
    try {
      const bytes = await this.#walk()
      this.#walked = bytes
      this.#delta = this.#deltaDuringWalk
      this.#walkedAt = this.#clock.now()
      return this.current
    } catch (error) {
      this.#logger.warn('failed to calculate disk usage', { error })
      throw error
    } finally {
      this.#running = undefined
    }
  }

  #stale(): boolean {
    return this.#intervalMs > 0 && this.#clock.now() - this.#walkedAt >= this.#intervalMs
  }
}
