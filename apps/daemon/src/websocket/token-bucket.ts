import type { Clock } from '@node/shared-kernel'

/**
 * A token bucket: `burst` tokens, one more every `refillMs`. `take()` says whether an event may
 * pass, and whether it is the first refusal of a streak (the client is told once per streak).
 */
export class TokenBucket {
  readonly #burst: number
  readonly #refillMs: number
  readonly #clock: Clock
  #tokens: number
  #updatedAt: number
  #refusing = false

  constructor(burst: number, refillMs: number, clock: Clock) {
    this.#burst = burst
    this.#refillMs = refillMs
    this.#clock = clock
    this.#tokens = burst
    this.#updatedAt = clock.now()
  }

  /** `pass`, or `refuse-first` for the first refusal of a streak, then `refuse`. */
  take(): 'pass' | 'refuse-first' | 'refuse' {
    const now = this.#clock.now()
    const refilled = Math.floor((now - this.#updatedAt) / this.#refillMs)
    if (refilled > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + refilled)
      this.#updatedAt =
        this.#tokens === this.#burst ? now : this.#updatedAt + refilled * this.#refillMs
    }
    if (this.#tokens > 0) {
      this.#tokens--
      this.#refusing = false
      return 'pass'
    }
    if (this.#refusing) return 'refuse'
    this.#refusing = true
    return 'refuse-first'
  }
}
