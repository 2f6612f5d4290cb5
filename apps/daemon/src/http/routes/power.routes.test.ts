import { describe, expect, it } from 'vitest'

import { logSize, powerLockWaitMs } from './power.routes.js'

describe('logSize', () => {
  it.each([
    [undefined, 100],
    ['', 100],
    ['abc', 100],
    ['0', 100],
    ['-5', 100],
    ['1', 1],
    ['100', 100],
    ['101', 100],
    ['2.5', 100],
    [['3', '4'], 100],
  ])('size=%j reads %i lines', (value, lines) => {
    expect(logSize(value)).toBe(lines)
  })
})

describe('powerLockWaitMs', () => {
  it.each([
    [0, 0],
    [5, 5000],
    [300, 300_000],
    [301, 30_000],
    [-1, 30_000],
  ])('wait_seconds=%i waits %i ms', (seconds, ms) => {
    expect(powerLockWaitMs(seconds)).toBe(ms)
  })
})
