import type { Clock } from '@node/shared-kernel'

export interface LoginThrottleOptions {
  /** Failures a key may have before its attempts are spaced out. */
  readonly freeFailures: number
  /** Spacing after the first failure past the free ones; doubles with each further failure. */
  readonly baseDelayMs: number
  /** The spacing never grows past this; an attempt that would wait longer is refused at once. */
  readonly maxDelayMs: number
  /** A key's failures are forgotten once it has had none for this long. */
  readonly forgetAfterMs: number
  /** Keys remembered at most (the oldest are forgotten first), so memory stays bounded. */
  readonly maxKeys: number
  readonly clock: Clock
}

/** When an attempt may go ahead: after `delayMs`, or not at all. */
export type ThrottleDecision = { readonly delayMs: number } | 'refuse'

interface KeyState {
  failures: number
  lastFailureAt: number
  /** The earliest time the next attempt of this key may start. */
  nextSlotAt: number
}

/**
 * Slows password guessing (the reference has no limit of its own): each key (an address, a user
 * name) that keeps failing has its attempts spaced out, one at a time, further apart with every
 * failure. Attempts from parallel connections queue behind each other instead of racing, so the
 * guessing rate of a key is at most one per current spacing, whatever the number of connections.
 */
export class LoginThrottle {
  readonly #o: LoginThrottleOptions
  readonly #keys = new Map<string, KeyState>()

  constructor(options: LoginThrottleOptions) {
    this.#o = options
  }

  /** Reserves the next slot of every key for one attempt. */
  admit(keys: readonly string[]): ThrottleDecision {
    const now = this.#o.clock.now()
    let startAt = now
    const spaced: [KeyState, number][] = []
    for (const key of keys) {
      const state = this.#state(key, now)
      if (state === undefined || state.failures < this.#o.freeFailures) continue
      const spacing = this.#spacing(state.failures)
      spaced.push([state, spacing])
      startAt = Math.max(startAt, state.nextSlotAt)
    }
    if (startAt - now > this.#o.maxDelayMs) return 'refuse'
    for (const [state, spacing] of spaced) state.nextSlotAt = startAt + spacing
    return { delayMs: startAt - now }
  }

  failed(keys: readonly string[]): void {
    const now = this.#o.clock.now()
    for (const key of keys) {
      const state = this.#state(key, now) ?? { failures: 0, lastFailureAt: now, nextSlotAt: now }
      state.failures++
      state.lastFailureAt = now
      if (state.failures >= this.#o.freeFailures) {
        state.nextSlotAt = Math.max(state.nextSlotAt, now + this.#spacing(state.failures))
      }
      // Re-inserted last: the map's order is the order of last failure, oldest first.
      this.#keys.delete(key)
      this.#keys.set(key, state)
    }
    while (this.#keys.size > this.#o.maxKeys) {
      this.#keys.delete(this.#keys.keys().next().value as string)
    }
  }

  /** A login succeeded with `key`: its failures are forgotten. */
  succeeded(key: string): void {
    this.#keys.delete(key)
  }

  /** Failures counted for `key` now. */
  failures(key: string): number {
    return this.#state(key, this.#o.clock.now())?.failures ?? 0
  }

  #state(key: string, now: number): KeyState | undefined {
    const state = this.#keys.get(key)
    if (state && now - state.lastFailureAt >= this.#o.forgetAfterMs) {
      this.#keys.delete(key)
      return undefined
    }
    return state
  }

  #spacing(failures: number): number {
    const doublings = Math.min(failures - this.#o.freeFailures, 30)
    return Math.min(this.#o.baseDelayMs * 2 ** doublings, this.#o.maxDelayMs)
  }
}
