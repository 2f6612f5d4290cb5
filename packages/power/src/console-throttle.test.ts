import { FakeClock } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { ConsoleThrottle } from './console-throttle.js'

function throttle(lines: number, intervalMs = 100): { t: ConsoleThrottle; clock: FakeClock } {
  const clock = new FakeClock()
  return { t: new ConsoleThrottle(() => ({ lines, intervalMs }), clock), clock }
}

describe('ConsoleThrottle', () => {
  it('lets the window full through, then asks for the notice once per streak', () => {
    const { t } = throttle(3)

    const verdicts = Array.from({ length: 6 }, () => t.check())

    expect(verdicts).toEqual(['pass', 'pass', 'pass', 'drop-and-notify', 'drop', 'drop'])
  })

  it('opens a new window once the interval has passed, and re-arms the notice', () => {
    const { t, clock } = throttle(1, 100)
    t.check()
    expect(t.check()).toBe('drop-and-notify')

    clock.advance(101)

    expect(t.check()).toBe('pass')
    expect(t.check()).toBe('drop-and-notify')
  })

  it('keeps the window until more than one interval has passed', () => {
    const { t, clock } = throttle(1, 100)
    t.check()

    clock.advance(100)

    expect(t.check()).toBe('drop-and-notify')
  })

  it('starts afresh on reset', () => {
    const { t } = throttle(1)
    t.check()
    t.check()

    t.reset()

    expect(t.check()).toBe('pass')
  })
})
