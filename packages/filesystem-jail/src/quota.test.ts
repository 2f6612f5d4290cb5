import { isDaemonError } from '@node/shared-kernel'
import { FakeClock } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { DiskUsage } from './disk-usage.js'
import { isFilesystemError } from './errors.js'
import { Quota } from './quota.js'

function quotaOf(limitBytes: number, walked = 0): Quota {
  const usage = new DiskUsage({ walk: () => Promise.resolve(walked), intervalMs: 0 })
  return new Quota({ limitBytes, usage })
}

function codeOf(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return isDaemonError(error) ? error.code : error
  }
  return 'no error'
}

describe('Quota', () => {
  it('admits writes up to the limit, counting reservations still running', () => {
    const quota = quotaOf(100)

    const first = quota.reserve(60)
    const second = quota.reserve(40)

    expect(codeOf(() => quota.reserve(1))).toBe('QUOTA_EXCEEDED')
    expect(quota.reservedBytes).toBe(100)
    first.release()
    second.release()
  })

  it('lets concurrent writers grow only until they jointly reach the limit', () => {
    const quota = quotaOf(1000)
    const writers = Array.from({ length: 8 }, () => quota.reserve(0))

    let granted = 0
    for (let round = 0; round < 20; round++) {
      for (const writer of writers) {
        try {
          writer.grow(10)
          granted += 10
        } catch {
          // over the limit: this writer would fail
        }
      }
    }

    expect(granted).toBe(1000)
    expect(quota.available()).toBe(0)
  })

  it('moves committed bytes into the usage and frees the reservation', () => {
    const quota = quotaOf(100)
    const reservation = quota.reserve(50)

    reservation.commit(30)

    expect(quota.usage.current).toBe(30)
    expect(quota.reservedBytes).toBe(0)
    expect(quota.available()).toBe(70)
  })

  it('changes nothing when a reservation is released', () => {
    const quota = quotaOf(100)

    quota.reserve(80).release()

    expect(quota.usage.current).toBe(0)
    expect(quota.available()).toBe(100)
  })

  it('keeps a failed grow from changing the reservation', () => {
    const quota = quotaOf(100)
    const reservation = quota.reserve(90)

    expect(codeOf(() => reservation.grow(20))).toBe('QUOTA_EXCEEDED')
    expect(reservation.bytes).toBe(90)
  })

  it('treats 0 as unlimited and a negative limit as no writes', () => {
    expect(codeOf(() => quotaOf(0).reserve(Number.MAX_SAFE_INTEGER).release())).toBe('no error')
    expect(codeOf(() => quotaOf(-1).reserve(1))).toBe('QUOTA_EXCEEDED')
    expect(codeOf(() => quotaOf(-1).reserve(0).release())).toBe('no error')
  })

  it('uses the spec message with the request id', () => {
    const quota = quotaOf(10)

    let error: unknown
    try {
      quota.reserve(11)
    } catch (e) {
      error = e
    }

    expect((error as Error).message).toBe(
      'There is not enough disk space available to perform that action.',
    )
    expect(isFilesystemError(error)).toBe(true)
  })

  it('refuses pulls once usage is over the limit', async () => {
    const usage = new DiskUsage({
      walk: () => Promise.resolve(150),
      intervalMs: 1000,
      clock: new FakeClock(),
    })
    await usage.get('fresh')
    const quota = new Quota({ limitBytes: 100, usage })

    expect(codeOf(() => quota.assertNotOver())).toBe('QUOTA_EXCEEDED')
    quota.setLimit(200)
    expect(codeOf(() => quota.assertNotOver())).toBe('no error')
  })
})
