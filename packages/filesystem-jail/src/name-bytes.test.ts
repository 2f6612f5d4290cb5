import { describe, expect, it } from 'vitest'

import { decodeName, encodeName, lossyName, nameByteLength } from './name-bytes.js'

const bytes = (...values: number[]): Buffer => Buffer.from(values)

describe('name bytes', () => {
  it('keeps valid UTF-8 as it is', () => {
    for (const name of ['plain.txt', 'čĊ', '😀.txt', '中文', '\uFFFD']) {
      const raw = Buffer.from(name)
      expect(decodeName(raw)).toBe(name)
      expect(encodeName(name)).toBe(name)
      expect(lossyName(name)).toBe(name)
    }
  })

  it('round-trips every byte that is not UTF-8, and shows each as one U+FFFD as Go does', () => {
    const cases: [Buffer, string][] = [
      [bytes(0x62, 0x61, 0x64, 0xff, 0xfe), 'bad\uFFFD\uFFFD'],
      // A truncated sequence is one U+FFFD per byte (Go), not one per sequence (WHATWG).
      [bytes(0x73, 0xe2, 0x82, 0x41), 's\uFFFD\uFFFDA'],
      [bytes(0xf0, 0x9f, 0x98), '\uFFFD\uFFFD\uFFFD'],
      // Overlong forms and encoded surrogates are not UTF-8 either.
      [bytes(0xc0, 0xaf), '\uFFFD\uFFFD'],
      [bytes(0xed, 0xa0, 0x80), '\uFFFD\uFFFD\uFFFD'],
      [bytes(0xf4, 0x90, 0x80, 0x80), '\uFFFD\uFFFD\uFFFD\uFFFD'],
      [Buffer.concat([Buffer.from('😀'), bytes(0x80), Buffer.from('č')]), '😀\uFFFDč'],
    ]
    for (const [raw, shown] of cases) {
      const name = decodeName(raw)

      expect(encodeName(name)).toEqual(raw)
      expect(nameByteLength(name)).toBe(raw.length)
      expect(lossyName(name)).toBe(shown)
      expect(Buffer.from(lossyName(name)).toString('utf8')).toBe(shown)
    }
  })

  it('never lets a lone surrogate reach the wire', () => {
    expect(lossyName('a\ud800b\udfffc')).toBe('a\uFFFDb\uFFFDc')
    expect(lossyName('😀')).toBe('😀')
  })
})
