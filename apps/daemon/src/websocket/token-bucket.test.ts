import { FakeClock } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { TokenBucket } from './token-bucket.js'

function drain(bucket: TokenBucket, times: number): string[] {
  return Array.from({ length: times }, () => bucket.take())
}

describe('TokenBucket', () => {
  it('passes a full burst, then refuses once loudly and then quietly', () => {
    const bucket = new TokenBucket(3, 100, new FakeClock())
    expect(drain(bucket, 6)).toEqual(['pass', 'pass', 'pass', 'refuse-first', 'refuse', 'refuse'])
  })

  it('adds one token per refill period, never more than the burst', () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(2, 100, clock)
    drain(bucket, 2)
    clock.advance(99)
    expect(bucket.take()).toBe('refuse-first')
    clock.advance(1)
    expect(drain(bucket, 2)).toEqual(['pass', 'refuse-first'])
    clock.advance(10_000)
    expect(drain(bucket, 3)).toEqual(['pass', 'pass', 'refuse-first'])
  })

  it('keeps the fraction of a period already elapsed', () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(5, 100, clock)
    drain(bucket, 5)
    clock.advance(150)
    expect(drain(bucket, 2)).toEqual(['pass', 'refuse-first'])
    clock.advance(50)
    expect(bucket.take()).toBe('pass')
  })

  it('starts a new streak (and a new notice) after a pass', () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(1, 100, clock)
    expect(drain(bucket, 3)).toEqual(['pass', 'refuse-first', 'refuse'])
    clock.advance(100)
    expect(drain(bucket, 3)).toEqual(['pass', 'refuse-first', 'refuse'])
  })
})
