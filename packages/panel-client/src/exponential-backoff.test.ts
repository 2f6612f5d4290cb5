import { describe, expect, it } from 'vitest'

import { ExponentialBackoff, PANEL_BACKOFF } from './exponential-backoff.js'

/** Waits of a whole schedule when every attempt fails at once: elapsed time is the waits so far. */
function schedule(backoff: ExponentialBackoff): number[] {
  const waits: number[] = []
  let elapsed = 0
  for (;;) {
    const wait = backoff.next(elapsed)
    if (wait === undefined) return waits
    waits.push(wait)
    elapsed += wait
  }
}

describe('ExponentialBackoff', () => {
  it('follows the reference schedule: 0.5 s first, x1.5, capped at 12 s, 30 s in all', () => {
    const middleOfJitter = (): number => 0.5

    const waits = schedule(new ExponentialBackoff(PANEL_BACKOFF, middleOfJitter))

    expect(waits).toEqual([500, 750, 1125, 1687.5, 2531.25, 3796.875, 5695.3125, 8542.96875])
    // Eight waits: nine attempts in all, as panel-remote-calls.md §1.1 counts.
  })

  it('stops growing the interval at the cap', () => {
    const options = { ...PANEL_BACKOFF, maxElapsedMs: Number.POSITIVE_INFINITY }
    const backoff = new ExponentialBackoff(options, () => 0.5)

    const waits = Array.from({ length: 12 }, () => backoff.next(0))

    expect(waits.slice(8)).toEqual([12_000, 12_000, 12_000, 12_000])
  })

  it('draws each wait within ±50 % of the current interval', () => {
    const lowest = new ExponentialBackoff(PANEL_BACKOFF, () => 0)
    const highest = new ExponentialBackoff(PANEL_BACKOFF, () => 0.999_999)

    expect([lowest.next(0), lowest.next(0)]).toEqual([250, 375])
    expect(highest.next(0)).toBeCloseTo(750, 2)
    expect(highest.next(0)).toBeCloseTo(1125, 2)
  })

  it('gives up when the next wait would end past the elapsed-time budget', () => {
    const backoff = new ExponentialBackoff(PANEL_BACKOFF, () => 0.5)

    expect(backoff.next(29_400)).toBe(500)
    expect(backoff.next(29_300)).toBeUndefined()
  })

  it('lets jitter decide whether a late retry still fits', () => {
    expect(new ExponentialBackoff(PANEL_BACKOFF, () => 0).next(29_700)).toBe(250)
    expect(new ExponentialBackoff(PANEL_BACKOFF, () => 0.9).next(29_700)).toBeUndefined()
  })
})
