import { describe, expect, it } from 'vitest'

import { ConsoleLineSplitter } from './console-line-splitter.js'

function split(chunks: (string | Buffer)[], maxLength?: number): string[] {
  const lines: string[] = []
  const splitter = new ConsoleLineSplitter((line) => lines.push(line), maxLength)
  for (const chunk of chunks) splitter.push(chunk)
  splitter.end()
  return lines
}

describe('ConsoleLineSplitter', () => {
  it('splits on newlines, removing CRLF and LF terminators and dropping empty lines', () => {
    expect(split(['one\r\ntwo\n\n\r\nthree'])).toEqual(['one', 'two', 'three'])
  })

  it('joins lines that straddle chunks, including a multi-byte character cut in half', () => {
    const bytes = Buffer.from('héllo wörld\n')

    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)])).toEqual([
      'héllo wörld',
    ])
  })

  it('turns " \\r" inside a line into " \\r\\n", as Wings does', () => {
    expect(split(['progress \r50% \rdone\n'])).toEqual(['progress \r\n50% \r\ndone'])
  })

  it('splits a line longer than the maximum into pieces', () => {
    expect(split(['abcdefghij\n'], 4)).toEqual(['abcd', 'efgh', 'ij'])
    expect(split(['abcd', 'efghij'], 4)).toEqual(['abcd', 'efgh', 'ij'])
  })

  it('emits the unterminated rest at the end', () => {
    expect(split(['a\nb\r'])).toEqual(['a', 'b'])
  })
})
