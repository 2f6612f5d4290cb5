import { describe, expect, it } from 'vitest'

import { isTarHeader } from './detect-format.js'
import { encodeTarHeader, padding } from './tar-header.js'

const mtime = new Date('2024-03-17T14:58:30Z')

describe('encodeTarHeader', () => {
  it('writes one valid ustar block for a short name', () => {
    const block = encodeTarHeader({ path: 'a/b.txt', kind: 'file', size: 5, mode: 0o640, mtime })
    expect(block.length).toBe(512)
    expect(isTarHeader(block)).toBe(true)
    expect(block.toString('latin1', 0, 7)).toBe('a/b.txt')
    expect(block.toString('latin1', 124, 135)).toBe('00000000005')
    expect(block.toString('latin1', 100, 107)).toBe('0000640')
    expect(block.toString('latin1', 156, 157)).toBe('0')
  })

  it('splits a long ASCII path into prefix and name', () => {
    const path = `${'p'.repeat(120)}/${'n'.repeat(90)}`
    const block = encodeTarHeader({ path, kind: 'file', size: 0, mode: 0o644, mtime })
    expect(block.length).toBe(512)
    expect(block.toString('latin1', 345, 465)).toBe('p'.repeat(120))
  })

  it('adds a PAX record for a path ustar cannot hold, and marks directories', () => {
    const block = encodeTarHeader({
      path: 'ü/'.repeat(3) + 'x',
      kind: 'directory',
      size: 9,
      mode: 0o755,
      mtime,
    })
    expect(block.length).toBe(512 * 3)
    expect(block.toString('latin1', 156, 157)).toBe('x')
    const record = block.subarray(512, 1024).toString('utf8').replace(/\0+$/, '')
    const length = Number(record.split(' ')[0])
    expect(Buffer.byteLength(record)).toBe(length)
    expect(record).toContain('path=ü/ü/ü/x/\n')
    expect(block.toString('latin1', 1024 + 156, 1024 + 157)).toBe('5')
    expect(block.toString('latin1', 1024 + 124, 1024 + 135)).toBe('00000000000')
  })

  it('pads to the block size', () => {
    expect([0, 1, 511, 512, 513].map(padding)).toEqual([0, 511, 1, 0, 511])
  })
})
