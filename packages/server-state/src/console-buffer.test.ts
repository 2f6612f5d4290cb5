import { describe, expect, it } from 'vitest'

import { ConsoleBuffer, DEFAULT_CONSOLE_LINES } from './console-buffer.js'

describe('ConsoleBuffer', () => {
  it('returns the lines pushed, oldest first', () => {
    const buffer = new ConsoleBuffer({ lines: 5 })

    buffer.push('one')
    buffer.push('two')
    buffer.push('three')

    expect(buffer.last()).toEqual(['one', 'two', 'three'])
    expect(buffer.size).toBe(3)
  })

  it('keeps only the newest lines once full', () => {
    const buffer = new ConsoleBuffer({ lines: 3 })

    for (let i = 1; i <= 10; i++) buffer.push(`line ${i}`)

    expect(buffer.last()).toEqual(['line 8', 'line 9', 'line 10'])
    expect(buffer.size).toBe(3)
  })

  it('returns the newest n lines, never more than it holds', () => {
    const buffer = new ConsoleBuffer({ lines: 4 })
    for (let i = 1; i <= 6; i++) buffer.push(`line ${i}`)

    expect(buffer.last(2)).toEqual(['line 5', 'line 6'])
    expect(buffer.last(100)).toEqual(['line 3', 'line 4', 'line 5', 'line 6'])
    expect(buffer.last(0)).toEqual([])
    expect(buffer.last(-3)).toEqual([])
    expect(buffer.last(Number.NaN)).toEqual([])
  })

  it('holds a bounded number of lines however many are pushed', () => {
    const buffer = new ConsoleBuffer({ lines: 7 })

    for (let i = 0; i < 100_000; i++) buffer.push(String(i))

    expect(buffer.size).toBe(7)
    expect(buffer.last()).toEqual(['99993', '99994', '99995', '99996', '99997', '99998', '99999'])
  })

  it('cuts lines longer than the maximum length', () => {
    const buffer = new ConsoleBuffer({ lines: 2, maxLineLength: 4 })

    buffer.push('abcdefgh')

    expect(buffer.last()).toEqual(['abcd'])
  })

  it('forgets everything on clear', () => {
    const buffer = new ConsoleBuffer({ lines: 2 })
    buffer.push('a')
    buffer.push('b')

    buffer.clear()
    buffer.push('c')

    expect(buffer.last()).toEqual(['c'])
  })

  it('keeps the default number of lines when given no size', () => {
    const buffer = new ConsoleBuffer()

    for (let i = 0; i < DEFAULT_CONSOLE_LINES + 10; i++) buffer.push(String(i))

    expect(buffer.capacity).toBe(DEFAULT_CONSOLE_LINES)
    expect(buffer.last(1)).toEqual([String(DEFAULT_CONSOLE_LINES + 9)])
  })

  it('refuses a size that is not a positive integer', () => {
    expect(() => new ConsoleBuffer({ lines: 0 })).toThrow(RangeError)
    expect(() => new ConsoleBuffer({ lines: 2.5 })).toThrow(RangeError)
    expect(() => new ConsoleBuffer({ maxLineLength: -1 })).toThrow(RangeError)
  })
})
