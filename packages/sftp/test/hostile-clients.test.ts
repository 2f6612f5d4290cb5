import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Duplex } from 'node:stream'

import { describe, expect, it } from 'vitest'

import { PacketFramer } from '../src/protocol/packet-framer.js'
import { PASSWORD, startSftpServer, USERNAME } from './support/sftp-harness.js'
import { connectSftp, connectSsh, STATUS, type SshSession } from './support/ssh-client.js'

const login = { username: USERNAME, password: PASSWORD }
const INIT = Buffer.from([0, 0, 0, 5, 1, 0, 0, 0, 3])

/** The `sftp` subsystem as raw bytes: what a hostile client can send. */
interface RawChannel {
  /** The server's id of the channel, for requests sent beside the SFTP bytes. */
  readonly outgoingId: number
  send(bytes: Buffer): void
  /** The next whole packet from the server (length prefix removed), or null once closed. */
  next(): Promise<Buffer | null>
  readonly closed: Promise<void>
}

async function rawSftp(session: SshSession): Promise<RawChannel> {
  const channel = await new Promise<Duplex>((resolve, reject) => {
    // ssh2's client can open any subsystem as a plain channel; its typings omit the method.
    const client = session.client as unknown as {
      subsys(name: string, cb: (error: Error | undefined, stream: Duplex) => void): void
    }
    client.subsys('sftp', (error, stream) => (error ? reject(error) : resolve(stream)))
  })
  const framer = new PacketFramer(1 << 30)
  const queue: Buffer[] = []
  const waiters: ((packet: Buffer | null) => void)[] = []
  let ended = false
  channel.on('data', (chunk: Buffer) => {
    for (const packet of framer.push(chunk)) {
      const waiter = waiters.shift()
      if (waiter) waiter(packet)
      else queue.push(packet)
    }
  })
  const closed = new Promise<void>((resolve) =>
    channel.once('close', () => {
      ended = true
      for (const waiter of waiters.splice(0)) waiter(null)
      resolve()
    }),
  )
  channel.on('error', () => undefined)
  return {
    outgoingId: (channel as Duplex & { outgoing: { id: number } }).outgoing.id,
    send: (bytes) => channel.write(bytes),
    next: () =>
      queue.length > 0
        ? Promise.resolve(queue.shift()!)
        : ended
          ? Promise.resolve(null)
          : new Promise((resolve) => waiters.push(resolve)),
    closed,
  }
}

/** Fields of a packet: uint32, string (length-prefixed), or bytes as they are (`{ raw }`). */
function packet(type: number, ...parts: (number | string | Buffer | { raw: Buffer })[]): Buffer {
  const body = Buffer.concat(
    parts.map((part) => {
      if (typeof part === 'object' && 'raw' in part) return part.raw
      if (typeof part === 'number') {
        const out = Buffer.alloc(4)
        out.writeUInt32BE(part >>> 0, 0)
        return out
      }
      const bytes = typeof part === 'string' ? Buffer.from(part) : part
      const length = Buffer.alloc(4)
      length.writeUInt32BE(bytes.length, 0)
      return Buffer.concat([length, bytes])
    }),
  )
  const header = Buffer.alloc(5)
  header.writeUInt32BE(body.length + 1, 0)
  header.writeUInt8(type, 4)
  return Buffer.concat([header, body])
}

/** Type, request id and (for STATUS) the code of an answer. */
function answer(packet: Buffer | null): { type: number; id: number; code?: number } | null {
  if (packet === null) return null
  const type = packet.readUInt8(0)
  const id = packet.readUInt32BE(1)
  return type === 101 ? { type, id, code: packet.readUInt32BE(5) } : { type, id }
}

describe('SFTP server against hostile clients', () => {
  it('closes a session whose packet claims to be 4 GiB, and keeps serving others', async () => {
    await using h = await startSftpServer()
    await using session = await connectSsh(h.port, login)
    const raw = await rawSftp(session)
    raw.send(INIT)
    await raw.next()

    raw.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 3]))

    await raw.closed
    await using other = await connectSftp(h.port, login)
    expect(await other.call.realpath('.')).toBe('/')
  })

  it('closes a session that sends a request before INIT, or INIT twice', async () => {
    await using h = await startSftpServer()
    await using session = await connectSsh(h.port, login)
    const early = await rawSftp(session)
    const twice = await rawSftp(session)

    early.send(packet(17, 1, '/'))
    twice.send(INIT)
    await twice.next()
    twice.send(INIT)

    await Promise.all([early.closed, twice.closed])
  })

  it('answers a truncated request with BAD_MESSAGE and an unknown one with OP_UNSUPPORTED, then goes on', async () => {
    await using h = await startSftpServer()
    await using session = await connectSsh(h.port, login)
    const raw = await rawSftp(session)
    raw.send(INIT)
    await raw.next()

    raw.send(packet(18, 7, 'only-one-path'))
    raw.send(packet(99, 8))
    raw.send(packet(200, 9, 'nonsense@example.com'))
    raw.send(packet(16, 10, '.'))

    expect(answer(await raw.next())).toEqual({ type: 101, id: 7, code: STATUS.BAD_MESSAGE })
    expect(answer(await raw.next())).toEqual({ type: 101, id: 8, code: STATUS.OP_UNSUPPORTED })
    expect(answer(await raw.next())).toEqual({ type: 101, id: 9, code: STATUS.OP_UNSUPPORTED })
    expect(answer(await raw.next())).toEqual({ type: 104, id: 10 })
  })

  it('caps a READ asking for 4 GiB to one packet of data', async () => {
    await using h = await startSftpServer()
    await writeFile(path.join(h.root, 'big.bin'), Buffer.alloc(1024 * 1024, 7))
    await using session = await connectSsh(h.port, login)
    const raw = await rawSftp(session)
    raw.send(INIT)
    await raw.next()
    raw.send(packet(3, 1, '/big.bin', 1, 0))
    const opened = (await raw.next())!
    const handle = opened.subarray(9, 9 + opened.readUInt32BE(5))

    raw.send(packet(5, 2, handle, { raw: Buffer.alloc(8) }, 0xffffffff))

    const data = (await raw.next())!
    expect(data.readUInt8(0)).toBe(103)
    expect(data.readUInt32BE(5)).toBe(256 * 1024 - 1024)
  })

  it('answers thousands of requests sent without waiting, in full', async () => {
    await using h = await startSftpServer({ limits: { maxPendingRequests: 16 } })
    await using session = await connectSsh(h.port, login)
    const raw = await rawSftp(session)
    raw.send(INIT)
    await raw.next()

    raw.send(Buffer.concat(Array.from({ length: 5_000 }, (_, i) => packet(17, i, '/'))))

    const ids = new Set<number>()
    for (let i = 0; i < 5_000; i++) ids.add(answer(await raw.next())!.id)
    expect(ids.size).toBe(5_000)
  })

  it('holds a write far beyond the end of the file without allocating for it, and refuses the gap on close', async () => {
    await using h = await startSftpServer()
    await using session = await connectSsh(h.port, login)
    const raw = await rawSftp(session)
    raw.send(INIT)
    await raw.next()
    raw.send(packet(3, 1, '/sparse.bin', 0x1a, 0))
    const opened = (await raw.next())!
    const handle = opened.subarray(9, 9 + opened.readUInt32BE(5))

    raw.send(packet(6, 2, handle, { raw: Buffer.from('ffffffffffff0000', 'hex') }, 'x'))
    raw.send(packet(4, 3, handle))

    expect(answer(await raw.next())).toEqual({ type: 101, id: 2, code: 0 })
    expect(answer(await raw.next())).toEqual({ type: 101, id: 3, code: STATUS.FAILURE })
  })

  it('ignores a second subsystem request on a running session and requests that want no reply, and keeps serving it', async () => {
    await using h = await startSftpServer()
    await using session = await connectSsh(h.port, login)
    const raw = await rawSftp(session)
    raw.send(INIT)
    await raw.next()
    const protocol = (session.client as unknown as { _protocol: RawProtocol })._protocol

    protocol.subsystem(raw.outgoingId, 'sftp', true)
    protocol.subsystem(raw.outgoingId, 'sftp', false)
    protocol.subsystem(raw.outgoingId, 'netconf', false)
    protocol.exec(raw.outgoingId, 'id', false)
    raw.send(packet(16, 1, '.'))

    expect(answer(await raw.next())).toEqual({ type: 104, id: 1 })
    expect(h.logger.records.filter((r) => r.level === 'error')).toEqual([])
  })

  it('refuses, without failing, a subsystem request that wants no reply on a fresh session', async () => {
    await using h = await startSftpServer()
    await using session = await connectSsh(h.port, login)
    const protocol = (session.client as unknown as { _protocol: RawProtocol })._protocol
    const channel = await bareSession(session)

    protocol.subsystem(channel.outgoing.id, 'netconf', false)
    protocol.subsystem(channel.outgoing.id, 'sftp', false)
    channel.write(INIT)

    await new Promise<void>((resolve) => channel.once('data', () => resolve()))
    await using other = await connectSftp(h.port, login)
    expect(await other.call.realpath('.')).toBe('/')
    expect(h.logger.records.filter((r) => r.level === 'error')).toEqual([])
  })
})

/** ssh2's client internals, to send requests its API does not offer. */
interface RawProtocol {
  subsystem(channel: number, name: string, wantReply: boolean): void
  exec(channel: number, command: string, wantReply: boolean): void
}

/** A session channel on which no request has been made yet (ssh2's client internals). */
function bareSession(session: SshSession): Promise<Duplex & { outgoing: { id: number } }> {
  const client = session.client as unknown as {
    _chanMgr: { add(wrapper: unknown): number }
    _protocol: { session(local: number, window: number, packetSize: number): void }
  }
  return new Promise((resolve, reject) => {
    const wrapper = Object.assign(
      (error: Error | undefined, stream: Duplex & { outgoing: { id: number } }) =>
        error ? reject(error) : resolve(stream),
      { type: 'session' },
    )
    client._protocol.session(client._chanMgr.add(wrapper), 2 * 1024 * 1024, 32 * 1024)
  })
}
