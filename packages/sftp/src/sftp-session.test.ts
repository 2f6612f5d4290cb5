import { Duplex } from 'node:stream'

import { nullLogger } from '@node/shared-kernel'
import { describe, expect, it, vi } from 'vitest'

import { PACKET } from './protocol/constants.js'
import { uint32, uint64 } from './protocol/sftp-response.js'
import type { SftpFileSystem } from './sftp-file-system.js'
import { SftpSession } from './sftp-session.js'

function str(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value
  return Buffer.concat([uint32(bytes.length), bytes])
}

function packet(type: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from([type]), ...parts])
  return Buffer.concat([uint32(body.length), body])
}

const INIT = packet(PACKET.INIT, uint32(3))

/** A channel whose far side reads nothing until `drain()`: answers pile up in its buffer. */
function stalledChannel(): { channel: Duplex; drain: () => void; written: () => number } {
  const pending: (() => void)[] = []
  let written = 0
  let flowing = false
  const channel = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      written += chunk.length
      if (flowing) done()
      else pending.push(() => done())
    },
    writableHighWaterMark: 64 * 1024,
  })
  return {
    channel,
    drain: () => {
      flowing = true
      for (const done of pending.splice(0)) done()
    },
    written: () => written,
  }
}

describe('SftpSession flow control', () => {
  it('stops reading the file while the client is not taking answers, and goes on once it does', async () => {
    const { channel, drain } = stalledChannel()
    let reads = 0
    const handle = {
      kind: 'read',
      read: () => Promise.resolve(Buffer.alloc(200 * 1024)),
      abort: () => Promise.resolve(),
    }
    const files = {
      open: () => Promise.resolve(handle),
      read: (h: typeof handle) => {
        reads++
        return h.read()
      },
    } as unknown as SftpFileSystem
    const session = new SftpSession({
      channel,
      files,
      limits: { maxHandles: 4, maxPendingRequests: 1000, maxPendingBytes: 1 << 30 },
      logger: nullLogger,
    })
    channel.push(INIT)
    channel.push(packet(PACKET.OPEN, uint32(1), str('/f'), uint32(1), uint32(0)))
    await vi.waitFor(() => expect(session.openHandles).toBe(1))

    for (let id = 2; id < 102; id++) {
      channel.push(packet(PACKET.READ, uint32(id), str(uint32(1)), uint64(0), uint32(200 * 1024)))
    }
    await vi.waitFor(() => expect(reads).toBeGreaterThan(0))
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve))

    expect(reads).toBeLessThanOrEqual(2)
    drain()
    await vi.waitFor(() => expect(reads).toBe(100))
    await session.close()
  })

  it('pauses the channel while too many requests are in flight, and resumes when they finish', async () => {
    const { channel } = stalledChannel()
    const release: (() => void)[] = []
    const files = {
      stat: () => new Promise<object>((resolve) => release.push(() => resolve({}))),
    } as unknown as SftpFileSystem
    const session = new SftpSession({
      channel,
      files,
      limits: { maxHandles: 4, maxPendingRequests: 3, maxPendingBytes: 1 << 30 },
      logger: nullLogger,
    })
    channel.push(INIT)

    for (let id = 1; id <= 3; id++) channel.push(packet(PACKET.STAT, uint32(id), str('/')))
    await vi.waitFor(() => expect(release).toHaveLength(3))

    expect(channel.isPaused()).toBe(true)
    for (const done of release.splice(0)) done()
    await vi.waitFor(() => expect(channel.isPaused()).toBe(false))
    await session.close()
  })

  it('drops open uploads when it closes', async () => {
    const { channel } = stalledChannel()
    const abort = vi.fn(() => Promise.resolve())
    const files = {
      open: () => Promise.resolve({ kind: 'write', abort }),
    } as unknown as SftpFileSystem
    const session = new SftpSession({
      channel,
      files,
      limits: { maxHandles: 4, maxPendingRequests: 10, maxPendingBytes: 1 << 30 },
      logger: nullLogger,
    })
    channel.push(INIT)
    channel.push(packet(PACKET.OPEN, uint32(1), str('/f'), uint32(0x1a), uint32(0)))
    await vi.waitFor(() => expect(session.openHandles).toBe(1))

    await session.close()

    expect(abort).toHaveBeenCalledTimes(1)
    expect(session.openHandles).toBe(0)
  })
})
