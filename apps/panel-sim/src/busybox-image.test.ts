import { describe, expect, it } from 'vitest'

import { isStaticElf } from './busybox-image.js'

/** A little-endian ELF64 header followed by program headers of the given types. */
function elf64(types: readonly number[]): Buffer {
  const phoff = 64
  const phentsize = 56
  const file = Buffer.alloc(phoff + phentsize * types.length)
  file.writeUInt32BE(0x7f454c46, 0)
  file[4] = 2 // 64-bit
  file[5] = 1 // little-endian
  file.writeBigUInt64LE(BigInt(phoff), 32)
  file.writeUInt16LE(phentsize, 54)
  file.writeUInt16LE(types.length, 56)
  types.forEach((type, i) => file.writeUInt32LE(type, phoff + i * phentsize))
  return file
}

describe('isStaticElf', () => {
  it('takes a program without an interpreter as static', () => {
    expect(isStaticElf(elf64([1, 1, 4]))).toBe(true)
  })

  it('takes a program with a PT_INTERP header as dynamic', () => {
    expect(isStaticElf(elf64([6, 3, 1]))).toBe(false)
  })

  it('refuses what is not an ELF file or is cut short', () => {
    expect(isStaticElf(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(80)))).toBe(false)
    expect(isStaticElf(elf64([1, 1]).subarray(0, 100))).toBe(false)
  })

  it('reads the Node binary running this test as dynamic', async () => {
    const { readFile } = await import('node:fs/promises')
    expect(isStaticElf(await readFile(process.execPath))).toBe(false)
  })
})
