import type { Clock } from '@node/shared-kernel'

import { ExponentialBackoff, type BackoffOptions } from './exponential-backoff.js'

export interface RetryOptions {
  readonly backoff: BackoffOptions
  readonly clock: Clock
  readonly random?: () => number
  /** The caller's cancellation: never retried, rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined
  /** Whether a failed attempt may be tried again. */
  readonly isRetryable: (error: unknown) => boolean
  /** Called before each wait; `attempt` is the number of the attempt that failed (1-based). */
  readonly onRetry?: (error: unknown, attempt: number, waitMs: number) => void
}

/**
 * Runs `attempt` until it resolves, waiting between failures as `backoff` says. Rejects with the
 * error of the last attempt once it is not retryable or the schedule is used up, and with the
 * signal's reason as soon as the caller aborts (also during a wait).
 */
export async function retryWithBackoff<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { clock, signal } = options
  const start = clock.now()
  const backoff = new ExponentialBackoff(options.backoff, options.random)
  for (let attemptNumber = 1; ; attemptNumber++) {
    signal?.throwIfAborted()
    try {
      return await attempt(attemptNumber)
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      if (!options.isRetryable(err)) throw err
      const wait = backoff.next(clock.now() - start)
      if (wait === undefined) throw err
      options.onRetry?.(err, attemptNumber, wait)
      await sleep(clock, wait, signal)
    }
  }
}

function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error)
      return
    }
    const onAbort = (): void => {
      cancel()
      reject(signal?.reason as Error)
    }
    const cancel = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
