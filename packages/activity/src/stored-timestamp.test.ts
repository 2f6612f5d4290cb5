import { describe, expect, it } from 'vitest'

import { fromStoredTimestamp, toStoredTimestamp } from './stored-timestamp.js'

describe('stored timestamps', () => {
  it("writes the reference's format and reads it back", () => {
    const ms = Date.UTC(2024, 2, 17, 20, 58, 30, 120)

    expect(toStoredTimestamp(ms)).toBe('2024-03-17 20:58:30.12+00:00')
    expect(toStoredTimestamp(Date.UTC(2024, 2, 17, 20, 59))).toBe('2024-03-17 20:59:00+00:00')
    expect(fromStoredTimestamp(toStoredTimestamp(ms))).toBe(ms)
  })

  it('reads the rows Wings wrote, with nanoseconds and an offset', () => {
    expect(fromStoredTimestamp('2024-03-17 22:58:30.123456789+02:00')).toBe(
      Date.UTC(2024, 2, 17, 20, 58, 30, 123),
    )
    expect(fromStoredTimestamp('2024-03-17T20:58:30Z')).toBe(Date.UTC(2024, 2, 17, 20, 58, 30))
  })

  it('reads something that is no time as the epoch', () => {
    expect(fromStoredTimestamp('yesterday')).toBe(0)
  })
})
