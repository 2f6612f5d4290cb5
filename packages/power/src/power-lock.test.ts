import { isDaemonError } from '@node/shared-kernel'
import { FakeClock } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { isPowerLockBusyError, LOCK_BUSY_MESSAGE, PowerLock } from './power-lock.js'

describe('PowerLock', () => {
  it('fails at once when held and asked not to wait', async () => {
    const lock = new PowerLock(new FakeClock())
    await lock.acquire(0)

    const busy = await lock.acquire(0).catch((err: unknown) => err)
    expect(isPowerLockBusyError(busy)).toBe(true)
    expect(isDaemonError(busy) && [busy.code, busy.message]).toEqual([
      'CONFLICT',
      LOCK_BUSY_MESSAGE,
    ])
    expect(isPowerLockBusyError(new Error(LOCK_BUSY_MESSAGE))).toBe(false)
    expect(lock.tryAcquire()).toBe(false)
  })

  it('hands the lock to waiters in arrival order', async () => {
    const lock = new PowerLock(new FakeClock())
    await lock.acquire(0)
    const order: string[] = []
    const first = lock.acquire(1000).then(() => order.push('first'))
    const second = lock.acquire(1000).then(() => order.push('second'))

    lock.release()
    await first
    expect(order).toEqual(['first'])
    expect(lock.isLocked).toBe(true)
    lock.release()
    await second
    lock.release()

    expect(order).toEqual(['first', 'second'])
    expect(lock.isLocked).toBe(false)
  })

  it('gives up with the busy error once the wait runs out, leaving the queue', async () => {
    const clock = new FakeClock()
    const lock = new PowerLock(clock)
    await lock.acquire(0)
    const waiting = lock.acquire(30_000)

    clock.advance(30_000)

    await expect(waiting).rejects.toThrow(LOCK_BUSY_MESSAGE)
    lock.release()
    expect(lock.isLocked).toBe(false)
  })

  it('stops waiting when the signal aborts', async () => {
    const lock = new PowerLock(new FakeClock())
    await lock.acquire(0)
    const controller = new AbortController()
    const waiting = lock.acquire(30_000, controller.signal)

    controller.abort(new Error('server deleted'))

    await expect(waiting).rejects.toThrow('server deleted')
    lock.release()
    expect(lock.tryAcquire()).toBe(true)
  })
})
