import { describe, expect, it } from 'vitest'

import { formatActivityTimestamp } from './format-activity-timestamp.js'

describe('formatActivityTimestamp', () => {
  it('writes nanoseconds in full', () => {
    expect(formatActivityTimestamp(1_710_709_110_123_456_789n)).toBe(
      '2024-03-17T20:58:30.123456789Z',
    )
  })

  it('trims trailing zeros of the fraction, as Go RFC3339Nano does', () => {
    expect(formatActivityTimestamp(1_710_709_110_120_000_000n)).toBe('2024-03-17T20:58:30.12Z')
    expect(formatActivityTimestamp(1_710_709_110_000_000_100n)).toBe('2024-03-17T20:58:30.0000001Z')
  })

  it('writes no fraction on a whole second', () => {
    expect(formatActivityTimestamp(1_710_709_140_000_000_000n)).toBe('2024-03-17T20:59:00Z')
    expect(formatActivityTimestamp(new Date('2024-03-17T20:59:00.000Z'))).toBe(
      '2024-03-17T20:59:00Z',
    )
  })

  it('writes a Date with its milliseconds, in UTC', () => {
    expect(formatActivityTimestamp(new Date('2024-03-17T22:58:30.120+02:00'))).toBe(
      '2024-03-17T20:58:30.12Z',
    )
  })

  it('counts the fraction forward before 1970', () => {
    expect(formatActivityTimestamp(-1n)).toBe('1969-12-31T23:59:59.999999999Z')
  })

  it('refuses an invalid Date', () => {
    expect(() => formatActivityTimestamp(new Date('not a date'))).toThrow(RangeError)
  })
})
