import { FakeClock } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { LoginThrottle } from './login-throttle.js'

function throttle(clock = new FakeClock()): { clock: FakeClock; throttle: LoginThrottle } {
  return {
    clock,
    throttle: new LoginThrottle({
      freeFailures: 2,
      baseDelayMs: 1_000,
      maxDelayMs: 8_000,
      forgetAfterMs: 60_000,
      maxKeys: 3,
      clock,
    }),
  }
}

describe('LoginThrottle', () => {
  it('lets attempts through at once until the free failures are used', () => {
    const { throttle: t } = throttle()

    expect(t.admit(['ip:a'])).toEqual({ delayMs: 0 })
    t.failed(['ip:a'])
    expect(t.admit(['ip:a'])).toEqual({ delayMs: 0 })
  })

  it('spaces attempts out once a key has failed too often, doubling with each failure', () => {
    const { throttle: t, clock } = throttle()
    t.failed(['ip:a'])
    t.failed(['ip:a'])

    expect(t.admit(['ip:a'])).toEqual({ delayMs: 1_000 })
    clock.advance(1_000)
    t.failed(['ip:a'])
    expect(t.admit(['ip:a'])).toEqual({ delayMs: 2_000 })
  })

  it('queues parallel attempts of one key one spacing apart', () => {
    const { throttle: t } = throttle()
    t.failed(['user:bob'])
    t.failed(['user:bob'])

    const delays = [1, 2, 3].map(() => t.admit(['ip:x', 'user:bob']))

    expect(delays).toEqual([{ delayMs: 1_000 }, { delayMs: 2_000 }, { delayMs: 3_000 }])
  })

  it('refuses an attempt that would have to wait longer than the largest spacing', () => {
    const { throttle: t } = throttle()
    for (let i = 0; i < 6; i++) t.failed(['ip:a'])

    expect(t.admit(['ip:a'])).toEqual({ delayMs: 8_000 })
    expect(t.admit(['ip:a'])).toBe('refuse')
  })

  it('forgets failures after a quiet period, and a key on success', () => {
    const { throttle: t, clock } = throttle()
    t.failed(['ip:a', 'user:bob'])
    t.failed(['ip:a', 'user:bob'])

    t.succeeded('user:bob')
    clock.advance(60_000)

    expect(t.failures('user:bob')).toBe(0)
    expect(t.failures('ip:a')).toBe(0)
  })

  it('remembers at most maxKeys keys, dropping the least recently failed', () => {
    const { throttle: t } = throttle()

    for (const key of ['a', 'b', 'c', 'd']) t.failed([key])

    expect(['a', 'b', 'c', 'd'].map((key) => t.failures(key))).toEqual([0, 1, 1, 1])
  })
})
