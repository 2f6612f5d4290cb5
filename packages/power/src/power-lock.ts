import { ConflictError, systemClock, type Clock } from '@node/shared-kernel'

/** The reference daemon's text when the lock stays busy (behaviour §3.1). */
export const LOCK_BUSY_MESSAGE = 'locker: cannot acquire lock, already locked'

// Checked by isPowerLockBusyError instead of instanceof: a consumer may hold two copies.
const kLockBusy = Symbol.for('@node/power/PowerLockBusyError')

/** The power lock stayed held (behaviour §3.1): a ConflictError callers can tell apart. */
export class PowerLockBusyError extends ConflictError {
  readonly [kLockBusy] = true

  constructor() {
    super(LOCK_BUSY_MESSAGE)
  }
}

export function isPowerLockBusyError(value: unknown): value is PowerLockBusyError {
  return typeof value === 'object' && value !== null && kLockBusy in value
}

/**
 * One binary lock per server, held for the whole of a power action (behaviour §3.1). Waiters are
 * served in arrival order; a waiter whose time runs out leaves the queue with ConflictError.
 */
export class PowerLock {
  readonly #clock: Clock
  readonly #waiters: (() => void)[] = []
  #held = false

  constructor(clock: Clock = systemClock) {
    this.#clock = clock
  }

  get isLocked(): boolean {
    return this.#held
  }

  /** Takes the lock if free; never waits. */
  tryAcquire(): boolean {
    if (this.#held) return false
    this.#held = true
    return true
  }

  /**
   * Takes the lock, waiting up to `waitMs` (0: fail at once when held). Rejects with
   * PowerLockBusyError when it stays busy, or with the signal's reason on abort.
   */
  async acquire(waitMs: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    if (this.tryAcquire()) return
    if (waitMs <= 0) throw new PowerLockBusyError()
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        settle()
        resolve()
      }
      const giveUp = (err: Error): void => {
        const at = this.#waiters.indexOf(grant)
        if (at >= 0) this.#waiters.splice(at, 1)
        settle()
        reject(err)
      }
      const onAbort = (): void => giveUp(abortReason(signal))
      const cancelTimer = this.#clock.setTimeout(() => giveUp(new PowerLockBusyError()), waitMs)
      const settle = (): void => {
        cancelTimer()
        signal?.removeEventListener('abort', onAbort)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(grant)
    })
  }

  /** Hands the lock to the next waiter, or frees it. Releasing a free lock does nothing. */
  release(): void {
    const next = this.#waiters.shift()
    if (next) next()
    else this.#held = false
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason
  return reason instanceof Error ? reason : new Error('aborted', { cause: reason })
}
