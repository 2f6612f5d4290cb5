import { Readable } from 'node:stream'

import { FakeClock } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { limitRate } from './rate-limit.js'

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('limitRate', () => {
  it('lets through no more than a second of burst and then the rate', async () => {
    const clock = new FakeClock()
    const chunk = Buffer.alloc(100)
    const limited = limitRate(Readable.from(Array.from({ length: 50 }, () => chunk)), 1000, clock)
    let received = 0
    limited.on('data', (c: Buffer) => (received += c.length))
    const ended = new Promise((resolve) => limited.on('end', resolve))

    for (let i = 0; i < 10; i++) await tick()
    const atStart = received
    clock.advance(1000)
    for (let i = 0; i < 10; i++) await tick()
    const afterOneSecond = received
    for (let i = 0; i < 10; i++) {
      clock.advance(1000)
      for (let j = 0; j < 10; j++) await tick()
    }
    await ended

    expect(atStart).toBeLessThanOrEqual(200)
    expect(afterOneSecond).toBeLessThanOrEqual(1200)
    expect(received).toBe(5000)
  })

  it('passes the stream through untouched when there is no limit', () => {
    const source = Readable.from(['x'])

    expect(limitRate(source, 0, new FakeClock())).toBe(source)
  })

  it('passes an error of the source on', async () => {
    const broken = new Error('read failed')
    const source = new Readable({ read() {} })
    const limited = limitRate(source, 1000, new FakeClock())
    const failed = new Promise((resolve) => limited.on('error', resolve))

    source.destroy(broken)

    expect(await failed).toBe(broken)
  })
})
