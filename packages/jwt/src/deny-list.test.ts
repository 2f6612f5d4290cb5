import { describe, expect, it } from 'vitest'

import { DenyList } from './deny-list.js'

describe('DenyList', () => {
  it('records when each key was denied, keeping the latest of repeated denials', () => {
    const list = new DenyList({ retainMs: 1000, maxEntries: 10 })

    list.deny('a', 100)
    list.deny('b', 150)
    list.deny('a', 200)

    expect(list.deniedAt('a', 200)).toBe(200)
    expect(list.deniedAt('b', 200)).toBe(150)
    expect(list.deniedAt('c', 200)).toBeUndefined()
  })

  it('never moves a denial back when the clock steps back', () => {
    const list = new DenyList({ retainMs: 1000, maxEntries: 10 })

    list.deny('a', 500)
    list.deny('a', 300)

    expect(list.deniedAt('a', 500)).toBe(500)
  })

  it('drops entries once their retention has passed', () => {
    const list = new DenyList({ retainMs: 1000, maxEntries: 10 })
    list.deny('a', 0)
    list.deny('b', 500)

    expect(list.deniedAt('a', 999)).toBe(0)
    expect(list.deniedAt('a', 1000)).toBeUndefined()
    expect(list.size).toBe(1)
  })

  it('folds the oldest entries into the floor when full, so nothing is un-denied', () => {
    const list = new DenyList({ retainMs: 1_000_000, maxEntries: 3 })

    for (let i = 0; i < 10_000; i++) list.deny(`key-${i}`, i)

    expect(list.size).toBe(3)
    expect(list.floor).toBe(9_996)
    expect(list.deniedAt('key-9999', 10_000)).toBe(9_999)
  })

  it('reports whether a denial raised the floor', () => {
    const list = new DenyList({ retainMs: 1_000_000, maxEntries: 1 })

    expect(list.deny('a', 1)).toBe(false)
    expect(list.deny('b', 2)).toBe(true)
    expect(list.floor).toBe(1)
  })
})
