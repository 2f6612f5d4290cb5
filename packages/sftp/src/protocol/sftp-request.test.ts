import { describe, expect, it } from 'vitest'

import { encodeAttributes } from './attributes.js'
import { ATTR_FLAG, OPEN_FLAG, PACKET } from './constants.js'
import { MalformedPacketError, parseRequest, requestIdOf } from './sftp-request.js'
import { uint32, uint64 } from './sftp-response.js'

function str(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value
  return Buffer.concat([uint32(bytes.length), bytes])
}

function packet(type: number, ...parts: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([type]), ...parts])
}

describe('parseRequest', () => {
  it('reads OPEN with its flags and attributes', () => {
    const raw = packet(
      PACKET.OPEN,
      uint32(7),
      str('/world/level.dat'),
      uint32(OPEN_FLAG.WRITE | OPEN_FLAG.CREAT | OPEN_FLAG.TRUNC),
      encodeAttributes({ mode: 0o100755, size: 10 }),
    )

    expect(parseRequest(raw)).toEqual({
      type: 'open',
      id: 7,
      path: '/world/level.dat',
      flags: OPEN_FLAG.WRITE | OPEN_FLAG.CREAT | OPEN_FLAG.TRUNC,
      attrs: { size: 10, mode: 0o100755 },
    })
  })

  it('reads WRITE offsets beyond 2^53 exactly', () => {
    const raw = packet(
      PACKET.WRITE,
      uint32(1),
      str(uint32(3)),
      Buffer.from('ffffffffffffffff', 'hex'),
      str('data'),
    )

    const request = parseRequest(raw)

    expect(request).toMatchObject({ type: 'write', offset: 2n ** 64n - 1n })
    expect(request.type === 'write' && request.data.toString()).toBe('data')
  })

  it('skips extended attribute pairs', () => {
    const attrs = Buffer.concat([
      uint32(ATTR_FLAG.PERMISSIONS | ATTR_FLAG.EXTENDED),
      uint32(0o644),
      uint32(1),
      str('name@example.com'),
      str('value'),
    ])

    const request = parseRequest(packet(PACKET.SETSTAT, uint32(2), str('a'), attrs))

    expect(request).toEqual({ type: 'setstat', id: 2, path: 'a', attrs: { mode: 0o644 } })
  })

  it('reads READ with a 64-bit offset', () => {
    const raw = packet(PACKET.READ, uint32(9), str(uint32(1)), uint64(4096), uint32(32768))

    expect(parseRequest(raw)).toMatchObject({ type: 'read', id: 9, offset: 4096n, length: 32768 })
  })

  it('reports an unknown packet type with its id, so it can be answered', () => {
    expect(parseRequest(packet(99, uint32(5)))).toEqual({ type: 'unknown', id: 5, packetType: 99 })
  })

  it('throws on a packet shorter than its type requires, keeping its id readable', () => {
    const raw = packet(PACKET.RENAME, uint32(4), str('only-one-path'))

    expect(() => parseRequest(raw)).toThrow(MalformedPacketError)
    expect(requestIdOf(raw)).toBe(4)
  })

  it('throws on a string whose length runs past the packet', () => {
    const raw = packet(PACKET.STAT, uint32(1), uint32(1000), Buffer.from('short'))

    expect(() => parseRequest(raw)).toThrow(MalformedPacketError)
  })
})
