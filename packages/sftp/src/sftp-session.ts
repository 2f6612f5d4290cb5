import type { Duplex } from 'node:stream'

import type { Logger } from '@node/shared-kernel'

import { ServerGoneError, type OpenHandle, type SftpFileSystem } from './sftp-file-system.js'
import {
  LIMITS_EXTENSION,
  MAX_DATA_BYTES,
  MAX_PACKET_BYTES,
  STATUS,
  type StatusCode,
} from './protocol/constants.js'
import { PacketFramer } from './protocol/packet-framer.js'
import { parseRequest, requestIdOf, type SftpRequest } from './protocol/sftp-request.js'
import {
  attrsPacket,
  dataPacket,
  extendedReplyPacket,
  handlePacket,
  namePacket,
  statusPacket,
  uint64,
  versionPacket,
} from './protocol/sftp-response.js'
import { statusOf } from './sftp-status.js'

interface SftpSessionLimits {
  /** Files and directories open at once; OPEN beyond it fails. */
  readonly maxHandles: number
  /** Requests being served at once; past it the channel stops reading (SSH flow control). */
  readonly maxPendingRequests: number
  /** Bytes of requests being served at once (WRITE payloads mostly); same effect. */
  readonly maxPendingBytes: number
}

export interface SftpSessionOptions {
  /** The session channel the `sftp` subsystem runs on. */
  readonly channel: Duplex
  readonly files: SftpFileSystem
  readonly limits: SftpSessionLimits
  readonly logger: Logger
  /** Called for every request (the idle timer). */
  readonly onRequest?: () => void
  /** The server was deleted from the node: the connection should go too. */
  readonly onServerGone?: () => void
}

/** Entries per READDIR answer: about 60 KiB at most, far below the packet limit. */
const READDIR_PAGE = 100

interface HandleEntry {
  readonly handle: OpenHandle
  /** Requests on one handle run one after another, in the order they arrived. */
  tail: Promise<void>
}

/**
 * The SFTP protocol (version 3) on one channel: packets in, answers out, with flow control both
 * ways. Reading stops while too many requests are in flight, so the SSH window closes and a
 * client cannot queue unbounded work; READ and READDIR wait until the channel has drained, so
 * a client that stops reading cannot make the server buffer unbounded answers.
 */
export class SftpSession {
  /** Resolves once the session is over and every handle is released. */
  readonly closed: Promise<void>
  readonly #o: SftpSessionOptions
  readonly #framer = new PacketFramer(MAX_PACKET_BYTES)
  readonly #handles = new Map<number, HandleEntry>()
  readonly #inFlight = new Set<Promise<void>>()
  #nextHandle = 1
  #opening = 0
  #pendingBytes = 0
  #initialized = false
  #closing = false
  #paused = false
  #resolveClosed!: () => void
  readonly #waiters = new Set<() => void>()

  constructor(options: SftpSessionOptions) {
    this.#o = options
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve))
    const { channel } = options
    channel.on('data', (chunk: Buffer) => this.#onData(chunk))
    channel.on('error', (error: Error) => {
      this.#o.logger.debug('sftp channel error', { error: error.message })
      void this.close()
    })
    channel.on('end', () => void this.#finishThenClose())
    channel.on('close', () => void this.close())
  }

  /** Open handles right now. */
  get openHandles(): number {
    return this.#handles.size
  }

  /**
   * Ends the session: no further request is served, uploads not yet closed are dropped (nothing
   * is left on disk), descriptors are released, the channel is closed.
   */
  async close(): Promise<void> {
    if (this.#closing) return this.closed
    this.#closing = true
    for (const wake of [...this.#waiters]) wake()
    this.#o.channel.removeAllListeners('data')
    this.#o.channel.destroy()
    const entries = [...this.#handles.values()]
    this.#handles.clear()
    await Promise.all(entries.map((entry) => entry.handle.abort()))
    this.#resolveClosed()
    return this.closed
  }

  #onData(chunk: Buffer): void {
    let packets: Buffer[]
    try {
      packets = this.#framer.push(chunk)
    } catch (error) {
      this.#o.logger.debug('closing sftp session after a bad packet', {
        error: (error as Error).message,
      })
      void this.close()
      return
    }
    for (const packet of packets) {
      if (this.#closing) return
      this.#onPacket(packet)
    }
  }

  #onPacket(packet: Buffer): void {
    let request: SftpRequest
    try {
      request = parseRequest(packet)
    } catch {
      const id = requestIdOf(packet)
      if (id === undefined || !this.#initialized) {
        void this.close()
        return
      }
      this.#status(id, STATUS.BAD_MESSAGE, 'Bad message')
      return
    }
    if (request.type === 'init') {
      if (this.#initialized) {
        void this.close()
        return
      }
      this.#initialized = true
      this.#send(versionPacket(3, [[LIMITS_EXTENSION, '1']]))
      return
    }
    if (!this.#initialized) {
      void this.close()
      return
    }
    this.#o.onRequest?.()
    this.#track(packet.length, this.#schedule(request))
  }

  /** Runs `request`: behind earlier requests on the same handle, or at once. */
  #schedule(request: Exclude<SftpRequest, { type: 'init' }>): Promise<void> {
    if (!('handle' in request)) return this.#serve(request, undefined)
    const key = handleKey(request.handle)
    const entry = key === undefined ? undefined : this.#handles.get(key)
    if (entry === undefined || key === undefined) {
      this.#status(request.id, STATUS.FAILURE, 'Invalid handle')
      return Promise.resolve()
    }
    const run = entry.tail.then(() => this.#serve(request, { key, entry }))
    entry.tail = run
    return run
  }

  #track(bytes: number, work: Promise<void>): void {
    this.#pendingBytes += bytes
    this.#inFlight.add(work)
    this.#applyBackpressure()
    void work.finally(() => {
      this.#pendingBytes -= bytes
      this.#inFlight.delete(work)
      this.#applyBackpressure()
    })
  }

  #applyBackpressure(): void {
    const { maxPendingRequests, maxPendingBytes } = this.#o.limits
    const busy = this.#inFlight.size >= maxPendingRequests || this.#pendingBytes >= maxPendingBytes
    if (busy && !this.#paused) {
      this.#paused = true
      this.#o.channel.pause()
    } else if (!busy && this.#paused && !this.#closing) {
      this.#paused = false
      this.#o.channel.resume()
    }
  }

  /** Serves one request; never rejects: every failure becomes a STATUS answer. */
  async #serve(
    request: Exclude<SftpRequest, { type: 'init' }>,
    bound: { key: number; entry: HandleEntry } | undefined,
  ): Promise<void> {
    if (this.#closing) return
    try {
      await this.#answer(request, bound)
    } catch (error) {
      const status = statusOf(error)
      if (status.unexpected) {
        this.#o.logger.error('sftp request failed', {
          request: request.type,
          error: (error as Error).message,
        })
      }
      this.#status(request.id, status.code, status.message)
      if (error instanceof ServerGoneError) this.#o.onServerGone?.()
    }
  }

  async #answer(
    request: Exclude<SftpRequest, { type: 'init' }>,
    bound: { key: number; entry: HandleEntry } | undefined,
  ): Promise<void> {
    const { files } = this.#o
    const handle = bound?.entry.handle
    switch (request.type) {
      case 'open':
        return this.#open(request.id, () => files.open(request.path, request.flags))
      case 'opendir':
        return this.#open(request.id, () => files.opendir(request.path))
      case 'close':
        this.#handles.delete(bound!.key)
        await files.close(handle!)
        return this.#ok(request.id)
      case 'read': {
        await this.#drained()
        const data = await files.read(
          handle!,
          request.offset,
          Math.min(request.length, MAX_DATA_BYTES),
        )
        if (data === null) return this.#status(request.id, STATUS.EOF, 'End of file')
        return this.#send(...dataPacket(request.id, data))
      }
      case 'write':
        await files.write(handle!, request.offset, request.data)
        return this.#ok(request.id)
      case 'readdir': {
        await this.#drained()
        const entries = await files.readdir(handle!, READDIR_PAGE)
        if (entries === null) return this.#status(request.id, STATUS.EOF, 'End of file')
        return this.#send(namePacket(request.id, entries))
      }
      case 'fstat':
        return this.#send(attrsPacket(request.id, await files.fstat(handle!)))
      case 'fsetstat':
        await files.fsetstat(handle!, request.attrs)
        return this.#ok(request.id)
      case 'stat':
      case 'lstat':
        return this.#send(attrsPacket(request.id, await files.stat(request.path)))
      case 'setstat':
        await files.setstat(request.path, request.attrs)
        return this.#ok(request.id)
      case 'remove':
        await files.remove(request.path)
        return this.#ok(request.id)
      case 'rmdir':
        await files.rmdir(request.path)
        return this.#ok(request.id)
      case 'mkdir':
        await files.mkdir(request.path)
        return this.#ok(request.id)
      case 'rename':
        await files.rename(request.from, request.to)
        return this.#ok(request.id)
      case 'realpath': {
        const path = files.realpath(request.path)
        return this.#send(namePacket(request.id, [{ filename: path, longname: path, attrs: {} }]))
      }
      case 'readlink':
        return files.readlink(request.path)
      case 'symlink':
        return files.symlink()
      case 'extended':
        if (request.name !== LIMITS_EXTENSION) {
          return this.#status(request.id, STATUS.OP_UNSUPPORTED, 'Operation unsupported')
        }
        return this.#send(
          extendedReplyPacket(
            request.id,
            Buffer.concat([
              uint64(MAX_PACKET_BYTES),
              uint64(MAX_DATA_BYTES),
              uint64(MAX_DATA_BYTES),
              uint64(this.#o.limits.maxHandles),
            ]),
          ),
        )
      case 'unknown':
        return this.#status(request.id, STATUS.OP_UNSUPPORTED, 'Operation unsupported')
    }
  }

  async #open(id: number, open: () => Promise<OpenHandle>): Promise<void> {
    if (this.#handles.size + this.#opening >= this.#o.limits.maxHandles) {
      return this.#status(id, STATUS.FAILURE, 'Too many open handles')
    }
    this.#opening++
    let handle: OpenHandle
    try {
      handle = await open()
    } finally {
      this.#opening--
    }
    if (this.#closing) {
      await handle.abort()
      return
    }
    const key = this.#nextHandle++
    this.#handles.set(key, { handle, tail: Promise.resolve() })
    const bytes = Buffer.allocUnsafe(4)
    bytes.writeUInt32BE(key, 0)
    this.#send(handlePacket(id, bytes))
  }

  /** Waits while the channel holds more than its high-water mark of unsent answers. */
  async #drained(): Promise<void> {
    const { channel } = this.#o
    if (!channel.writableNeedDrain || this.#closing) return
    await new Promise<void>((resolve) => {
      const done = (): void => {
        channel.off('drain', done)
        this.#waiters.delete(done)
        resolve()
      }
      channel.on('drain', done)
      this.#waiters.add(done)
    })
  }

  /** After the client's EOF: answer what is in flight, then close. */
  async #finishThenClose(): Promise<void> {
    await Promise.allSettled([...this.#inFlight])
    await this.close()
  }

  #ok(id: number): void {
    this.#status(id, STATUS.OK, 'Success')
  }

  #status(id: number, code: StatusCode, message: string): void {
    this.#send(statusPacket(id, code, message))
  }

  #send(...buffers: Buffer[]): void {
    const { channel } = this.#o
    if (this.#closing || !channel.writable) return
    for (const buffer of buffers) channel.write(buffer)
  }
}

function handleKey(handle: Buffer): number | undefined {
  return handle.length === 4 ? handle.readUInt32BE(0) : undefined
}
