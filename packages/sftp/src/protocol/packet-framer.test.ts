import { describe, expect, it } from 'vitest'

import { PacketFramer } from './packet-framer.js'

function framed(...bodies: string[]): Buffer {
  return Buffer.concat(
    bodies.map((body) => {
      const length = Buffer.alloc(4)
      length.writeUInt32BE(body.length, 0)
      return Buffer.concat([length, Buffer.from(body)])
    }),
  )
}

describe('PacketFramer', () => {
  it('cuts several packets out of one chunk', () => {
    const framer = new PacketFramer(1024)

    const packets = framer.push(framed('abc', 'de'))

    expect(packets.map((p) => p.toString())).toEqual(['abc', 'de'])
    expect(framer.buffered).toBe(0)
  })

  it('joins a packet split across chunks, the length prefix included', () => {
    const framer = new PacketFramer(1024)
    const bytes = framed('hello world', 'x')

    const packets = [...bytes].flatMap((byte) => framer.push(Buffer.from([byte])))

    expect(packets.map((p) => p.toString())).toEqual(['hello world', 'x'])
  })

  it('holds an incomplete packet until the rest arrives', () => {
    const framer = new PacketFramer(1024)
    const bytes = framed('abcdef')

    expect(framer.push(bytes.subarray(0, 7))).toEqual([])
    expect(framer.buffered).toBe(7)
    expect(framer.push(bytes.subarray(7)).map((p) => p.toString())).toEqual(['abcdef'])
  })

  it('refuses a packet longer than the limit before buffering it', () => {
    const framer = new PacketFramer(16)
    const header = Buffer.alloc(4)
    header.writeUInt32BE(17, 0)

    expect(() => framer.push(header)).toThrow(/out of bounds/)
  })

  it('refuses a packet of length zero', () => {
    expect(() => new PacketFramer(16).push(Buffer.alloc(4))).toThrow(/out of bounds/)
  })
})
