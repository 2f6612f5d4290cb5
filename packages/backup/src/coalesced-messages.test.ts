import { FakeClock } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { CoalescedMessages } from './coalesced-messages.js'

describe('CoalescedMessages', () => {
  it('sends the first line at once and the lines of the next interval together, in order', () => {
    const clock = new FakeClock()
    const frames: string[] = []
    const messages = new CoalescedMessages({
      publish: (t) => frames.push(t),
      clock,
      intervalMs: 250,
    })

    messages.push('(restoring): a')
    for (const name of ['b', 'c', 'd']) messages.push(`(restoring): ${name}`)
    const beforeInterval = [...frames]
    clock.advance(250)

    expect(beforeInterval).toEqual(['(restoring): a'])
    expect(frames).toEqual(['(restoring): a', '(restoring): b\r\n(restoring): c\r\n(restoring): d'])
  })

  it('sends no more than one frame per interval however many lines come', () => {
    const clock = new FakeClock()
    const frames: string[] = []
    const messages = new CoalescedMessages({
      publish: (t) => frames.push(t),
      clock,
      intervalMs: 250,
    })

    for (let i = 0; i < 10_000; i++) {
      messages.push(`(restoring): file-${i}`)
      if (i % 100 === 0) clock.advance(10)
    }
    messages.flush()

    expect(frames.length).toBeLessThanOrEqual(1 + Math.ceil(1000 / 250) + 1)
    expect(frames.join('\r\n').split('\r\n')).toHaveLength(10_000)
  })

  it('flush sends what is held back and cancels the pending frame', () => {
    const clock = new FakeClock()
    const frames: string[] = []
    const messages = new CoalescedMessages({
      publish: (t) => frames.push(t),
      clock,
      intervalMs: 250,
    })
    messages.push('one')
    messages.push('two')

    messages.flush()
    clock.advance(1000)

    expect(frames).toEqual(['one', 'two'])
  })
})
