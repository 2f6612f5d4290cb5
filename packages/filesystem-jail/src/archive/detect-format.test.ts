import { describe, expect, it } from 'vitest'

import { archiveName } from './compress.js'
import { safeEntryPath } from './extract.js'
import { detectCompression, isTarHeader } from './detect-format.js'

describe('detectCompression', () => {
  it.each([
    [[0x1f, 0x8b, 8], 'gzip'],
    [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
    [[0x50, 0x4b, 0x03, 0x04], 'unsupported'],
    [[0x42, 0x5a, 0x68, 0x39], 'unsupported'],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'unsupported'],
    [[0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00], 'unsupported'],
    [[0x1f], 'none'],
    [[0x61, 0x62], 'none'],
  ])('%j is %s', (bytes, kind) => {
    expect(detectCompression(Uint8Array.from(bytes))).toBe(kind)
  })

  it('recognises tar headers only with a magic or a valid checksum', () => {
    expect(isTarHeader(Buffer.alloc(512))).toBe(false)
    expect(isTarHeader(Buffer.alloc(100, 0x61))).toBe(false)
    expect(isTarHeader(Buffer.alloc(512, 0x61))).toBe(false)
  })
})

describe('safeEntryPath', () => {
  it.each([
    ['a/b.txt', 'a/b.txt'],
    ['./a//b/', 'a/b'],
    ['/etc/passwd', undefined],
    ['../x', undefined],
    ['a/../../x', undefined],
    ['a/..', undefined],
    ['.', undefined],
    ['', undefined],
    ['a\0b', undefined],
  ])('%j -> %j', (input, expected) => {
    expect(safeEntryPath(input)).toBe(expected)
  })
})

describe('archiveName', () => {
  it('is the local RFC 3339 time without colons', () => {
    const name = archiveName(new Date(2024, 2, 17, 14, 58, 30))
    expect(name).toMatch(/^archive-2024-03-17T145830(Z|[+-]\d{4})\.tar\.gz$/)
  })
})
