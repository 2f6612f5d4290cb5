import { describe, expect, it } from 'vitest'

import { OneTimeStore } from './one-time-store.js'

const HOUR = 3_600_000

describe('OneTimeStore', () => {
  it('consumes an id once and reports every later use as a replay', () => {
    const store = new OneTimeStore({ rememberMs: HOUR, maxEntries: 10 })

    expect(store.consume('a', 900_000, 0)).toBe('consumed')
    expect(store.consume('a', 900_000, 1)).toBe('replayed')
    expect(store.consume('b', 900_000, 2)).toBe('consumed')
  })

  it('remembers an id for the remember period even after its token expired', () => {
    const store = new OneTimeStore({ rememberMs: HOUR, maxEntries: 10 })
    store.consume('a', 60_000, 0)

    expect(store.consume('a', 60_000, HOUR - 1)).toBe('replayed')
    expect(store.consume('b', 60_000, HOUR)).toBe('consumed')
    expect(store.size).toBe(1)
  })

  it('remembers an id beyond the remember period while its token is still valid', () => {
    const store = new OneTimeStore({ rememberMs: HOUR, maxEntries: 10 })
    store.consume('a', 2 * HOUR, 0)

    expect(store.consume('a', 2 * HOUR, HOUR + 1)).toBe('replayed')
  })

  it('stays within its limit however many ids go through it', () => {
    const store = new OneTimeStore({ rememberMs: HOUR, maxEntries: 100 })
    let now = 0

    for (let i = 0; i < 10_000; i++) {
      now += 100
      // Tokens valid for 5 s: at most 50 are live at any time.
      expect(store.consume(`id-${i}`, now + 5_000, now)).toBe('consumed')
      expect(store.size).toBeLessThanOrEqual(100)
    }
  })

  it('refuses new ids while every remembered id guards a valid token', () => {
    const store = new OneTimeStore({ rememberMs: HOUR, maxEntries: 2 })
    store.consume('a', 10_000, 0)
    store.consume('b', 20_000, 0)

    expect(store.consume('c', 30_000, 5_000)).toBe('full')
    expect(store.consume('a', 30_000, 5_000)).toBe('replayed')
    expect(store.consume('c', 30_000, 10_000)).toBe('consumed')
    expect(store.consume('a', 30_000, 15_000)).toBe('full')
    expect(store.consume('a', 30_000, 20_000)).toBe('consumed')
    expect(store.size).toBe(2)
  })
})
