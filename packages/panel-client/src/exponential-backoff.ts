/** How long to wait between attempts (panel-remote-calls.md §1.1). */
export interface BackoffOptions {
  /** Wait before the first retry, before jitter. */
  readonly initialIntervalMs: number
  readonly multiplier: number
  /** The wait is drawn uniformly from ±this fraction of the current interval. */
  readonly randomizationFactor: number
  /** The interval stops growing here (jitter still applies on top). */
  readonly maxIntervalMs: number
  /** No retry starts later than this after the first attempt. */
  readonly maxElapsedMs: number
}

/** The reference's schedule: 0.5 s, ×1.5, ±50 %, capped at 12 s, 30 s in all. */
export const PANEL_BACKOFF: BackoffOptions = {
  initialIntervalMs: 500,
  multiplier: 1.5,
  randomizationFactor: 0.5,
  maxIntervalMs: 12_000,
  maxElapsedMs: 30_000,
}

/**
 * One retry schedule: each `next` returns the wait before the following attempt, or undefined
 * once that wait would end past `maxElapsedMs` (the semantics of Go's cenkalti/backoff, which
 * the reference uses, so the attempt count matches: about nine in 30 s).
 */
export class ExponentialBackoff {
  readonly #options: BackoffOptions
  readonly #random: () => number
  #currentMs: number

  /** `random` returns a number in [0, 1), as Math.random does. */
  constructor(options: BackoffOptions = PANEL_BACKOFF, random: () => number = Math.random) {
    this.#options = options
    this.#random = random
    this.#currentMs = options.initialIntervalMs
  }

  /** `elapsedMs` is the time since the first attempt started. */
  next(elapsedMs: number): number | undefined {
    const { multiplier, randomizationFactor, maxIntervalMs, maxElapsedMs } = this.#options
    const delta = randomizationFactor * this.#currentMs
    const wait = this.#currentMs - delta + this.#random() * 2 * delta
    this.#currentMs =
      this.#currentMs >= maxIntervalMs / multiplier ? maxIntervalMs : this.#currentMs * multiplier
    if (elapsedMs + wait > maxElapsedMs) return undefined
    return wait
  }
}
