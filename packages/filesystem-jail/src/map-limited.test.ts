import { describe, expect, it } from 'vitest'

import { mapLimited } from './map-limited.js'

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('mapLimited', () => {
  it('never runs more than the limit at once and keeps the order of the results', async () => {
    let running = 0
    let peak = 0

    const results = await mapLimited([5, 1, 4, 2, 3, 9, 7], 3, async (n) => {
      running++
      peak = Math.max(peak, running)
      for (let i = 0; i < n; i++) await tick()
      running--
      return n * 10
    })

    expect(results).toEqual([50, 10, 40, 20, 30, 90, 70])
    expect(peak).toBe(3)
  })

  it('starts nothing after a failure and rejects once the running calls have settled', async () => {
    const started: number[] = []
    let settled = 0

    const outcome = mapLimited([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n)
      await tick()
      if (n === 1) throw new Error('boom')
      await tick()
      settled++
    })

    await expect(outcome).rejects.toThrow('boom')
    expect(started).toEqual([0, 1])
    expect(settled).toBe(1)
  })

  it('resolves an empty list at once', async () => {
    expect(await mapLimited([], 4, () => Promise.reject(new Error('never')))).toEqual([])
  })
})
