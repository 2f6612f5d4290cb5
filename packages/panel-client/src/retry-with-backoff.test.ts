import type { Clock } from '@node/shared-kernel'
import { FakeClock } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { PANEL_BACKOFF } from './exponential-backoff.js'
import { retryWithBackoff } from './retry-with-backoff.js'

/** A clock whose timers fire on the next tick and move time forward by their delay. */
class InstantClock implements Clock {
  time = 0
  readonly waits: number[] = []

  now(): number {
    return this.time
  }
  setTimeout(callback: () => void, ms: number): () => void {
    this.waits.push(ms)
    this.time += ms
    queueMicrotask(callback)
    return () => undefined
  }
}

class Retryable extends Error {}
class Permanent extends Error {}

const isRetryable = (err: unknown): boolean => err instanceof Retryable
const jitterFree = (): number => 0.5

describe('retryWithBackoff', () => {
  it('retries retryable failures with the schedule until an attempt succeeds', async () => {
    const clock = new InstantClock()
    const attempts: number[] = []

    const result = await retryWithBackoff(
      (attempt) => {
        attempts.push(attempt)
        return attempt < 4 ? Promise.reject(new Retryable('busy')) : Promise.resolve('done')
      },
      { backoff: PANEL_BACKOFF, clock, random: jitterFree, isRetryable },
    )

    expect(result).toBe('done')
    expect(attempts).toEqual([1, 2, 3, 4])
    expect(clock.waits).toEqual([500, 750, 1125])
  })

  it('returns a non-retryable failure at once', async () => {
    const clock = new InstantClock()
    let calls = 0
    const failure = new Permanent('HTTP/404')

    const outcome = retryWithBackoff(
      () => {
        calls++
        return Promise.reject(failure)
      },
      { backoff: PANEL_BACKOFF, clock, random: jitterFree, isRetryable },
    )

    await expect(outcome).rejects.toBe(failure)
    expect(calls).toBe(1)
    expect(clock.waits).toEqual([])
  })

  it('rejects with the last failure once the elapsed-time budget is spent', async () => {
    const clock = new InstantClock()
    const failures: Error[] = []
    const retried: number[] = []

    const outcome = retryWithBackoff(
      (attempt) => {
        const failure = new Retryable(`attempt ${attempt}`)
        failures.push(failure)
        return Promise.reject(failure)
      },
      {
        backoff: PANEL_BACKOFF,
        clock,
        random: jitterFree,
        isRetryable,
        onRetry: (_err, attempt) => retried.push(attempt),
      },
    )

    const failure = await outcome.catch((err: unknown) => err)

    expect(failures).toHaveLength(9)
    expect(failure).toBe(failures[8])
    expect(retried).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('counts the time attempts take against the budget', async () => {
    const clock = new InstantClock()
    let calls = 0

    const outcome = retryWithBackoff(
      () => {
        calls++
        clock.time += 10_000
        return Promise.reject(new Retryable('slow'))
      },
      { backoff: PANEL_BACKOFF, clock, random: jitterFree, isRetryable },
    )

    await expect(outcome).rejects.toThrow('slow')
    expect(calls).toBe(3)
  })

  it('stops during a wait when the caller aborts, with the abort reason', async () => {
    const clock = new FakeClock()
    const controller = new AbortController()
    let calls = 0
    const reason = new Error('shutting down')

    const outcome = retryWithBackoff(
      () => {
        calls++
        return Promise.reject(new Retryable('busy'))
      },
      { backoff: PANEL_BACKOFF, clock, isRetryable, signal: controller.signal },
    )
    await Promise.resolve()
    await Promise.resolve()
    controller.abort(reason)
    clock.advance(60_000)

    await expect(outcome).rejects.toBe(reason)
    expect(calls).toBe(1)
  })

  it('never retries a failure that happened because the caller aborted', async () => {
    const clock = new InstantClock()
    const controller = new AbortController()
    let calls = 0

    const outcome = retryWithBackoff(
      () => {
        calls++
        controller.abort(new Error('cancelled'))
        return Promise.reject(new Retryable('socket hang up'))
      },
      { backoff: PANEL_BACKOFF, clock, isRetryable, signal: controller.signal },
    )

    await expect(outcome).rejects.toThrow('cancelled')
    expect(calls).toBe(1)
  })

  it('makes no attempt when the signal is already aborted', async () => {
    let calls = 0

    const outcome = retryWithBackoff(
      () => {
        calls++
        return Promise.resolve()
      },
      {
        backoff: PANEL_BACKOFF,
        clock: new InstantClock(),
        isRetryable,
        signal: AbortSignal.abort(new Error('too late')),
      },
    )

    await expect(outcome).rejects.toThrow('too late')
    expect(calls).toBe(0)
  })
})
