import { isDaemonError } from '@node/shared-kernel'
import { FakeClock } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { VolumeReserve } from './volume-reserve.js'

const MIB = 1024 * 1024

function codeOf(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return isDaemonError(error) ? error.code : error
  }
  return 'no error'
}

/** A volume whose free space the test sets; each measurement reads it once. */
function volume(reserveBytes: number, initialFree: number) {
  const clock = new FakeClock()
  const disk = { free: initialFree, measurements: 0 }
  const reserve = new VolumeReserve({
    path: '/srv',
    reserveBytes,
    clock,
    measure: () => {
      disk.measurements++
      return Promise.resolve(disk.free)
    },
  })
  return { reserve, clock, disk }
}

describe('VolumeReserve', () => {
  it('admits writes until only the reserve is left, counting each byte taken', async () => {
    const { reserve } = volume(100 * MIB, 160 * MIB)
    await reserve.ready()

    reserve.take(50 * MIB)
    expect(reserve.available()).toBe(10 * MIB)
    expect(codeOf(() => reserve.take(11 * MIB))).toBe('QUOTA_EXCEEDED')
    reserve.take(10 * MIB)

    expect(codeOf(() => reserve.check(1))).toBe('QUOTA_EXCEEDED')
    expect(codeOf(() => reserve.take(1))).toBe('QUOTA_EXCEEDED')
  })

  it('trusts a measurement for the refresh interval, then measures again in the background', async () => {
    const { reserve, clock, disk } = volume(10 * MIB, 100 * MIB)
    await reserve.ready()
    reserve.take(30 * MIB)
    // The disk reflects those bytes, plus 40 MiB written by someone else.
    disk.free = 30 * MIB

    expect(reserve.available()).toBe(60 * MIB)
    clock.advance(1000)
    expect(reserve.available()).toBe(60 * MIB)
    await reserve.refresh()

    expect(reserve.available()).toBe(20 * MIB)
    expect(disk.measurements).toBe(2)
  })

  it('keeps subtracting bytes taken while a measurement runs', async () => {
    const { reserve, disk } = volume(0, 0)
    reserve.setReserveBytes(10 * MIB)
    disk.free = 100 * MIB
    const measuring = reserve.refresh()
    reserve.take(5 * MIB)
    await measuring

    expect(reserve.available()).toBe(85 * MIB)
  })

  it('never blocks while the free space is unknown, nor when the reserve is 0', async () => {
    const unknown = new VolumeReserve({
      path: '/srv',
      reserveBytes: 10 * MIB,
      measure: () => Promise.reject(new Error('statfs failed')),
    })
    await unknown.ready()
    unknown.take(1024 * MIB)

    const off = volume(0, 0).reserve
    off.take(1024 * MIB)
    expect(off.available()).toBe(Number.POSITIVE_INFINITY)
  })

  it('measures the real volume with statfs', async () => {
    const reserve = new VolumeReserve({ path: '/', reserveBytes: 1 })
    await reserve.ready()

    expect(reserve.available()).toBeGreaterThan(0)
    expect(reserve.available()).toBeLessThan(Number.POSITIVE_INFINITY)
  })
})
