import { systemClock, type Clock } from '@node/shared-kernel'

export interface ConsoleThrottleOptions {
  /** `throttles.lines`: lines let through per window. */
  readonly lines: number
  /** `throttles.line_reset_interval` in milliseconds. */
  readonly intervalMs: number
}

/** What to do with one line: publish it, drop it, or drop it and tell the console once. */
export type ThrottleVerdict = 'pass' | 'drop' | 'drop-and-notify'

/**
 * The console output limiter of websocket.md §8: at most `lines` lines per window of `intervalMs`;
 * the window restarts with the first line after it ended. Excess lines are dropped, never queued.
 * The first drop of a streak asks for the notice; the next line that passes re-arms it.
 */
export class ConsoleThrottle {
  readonly #options: () => ConsoleThrottleOptions
  readonly #clock: Clock
  #windowStart = Number.NEGATIVE_INFINITY
  #count = 0
  #notified = false

  /** `options` is read on every line, so a config update applies at once. */
  constructor(options: () => ConsoleThrottleOptions, clock: Clock = systemClock) {
    this.#options = options
    this.#clock = clock
  }

  check(): ThrottleVerdict {
    const { lines, intervalMs } = this.#options()
    const now = this.#clock.now()
    if (now - this.#windowStart > intervalMs) {
      this.#windowStart = now
      this.#count = 0
    }
    if (this.#count < lines) {
      this.#count++
      this.#notified = false
      return 'pass'
    }
    if (this.#notified) return 'drop'
    this.#notified = true
    return 'drop-and-notify'
  }

  /** Forgets the current window (the server is starting). */
  reset(): void {
    this.#windowStart = Number.NEGATIVE_INFINITY
    this.#count = 0
    this.#notified = false
  }
}
