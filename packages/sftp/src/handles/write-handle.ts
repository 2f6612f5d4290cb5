import { constants } from 'node:fs'
import { finished } from 'node:stream/promises'

import type { JailStats, JailWriteStream } from '@node/filesystem-jail'

import type { FileStats } from '../file-stats.js'
import { STATUS } from '../protocol/constants.js'
import { SftpStatusError } from '../sftp-status.js'

export interface WriteHandleOptions {
  /** The file as the client knows it, from the root. */
  readonly path: string
  readonly stream: JailWriteStream
  /** The file did not exist when it was opened (activity `create` rather than `write`). */
  readonly created: boolean
  /** Bytes of writes that arrived ahead of a gap, held until the gap is filled. */
  readonly maxReorderBytes: number
  /** Reported by FSTAT until the file is complete. */
  readonly mode: number
  readonly clock: { now(): number }
}

/**
 * A file being uploaded. SFTP writes carry offsets; the jail writes a new file front to back
 * (a temporary file renamed into place on close, so a cut-off upload leaves nothing). Writes
 * are taken in offset order: one that arrives ahead of a gap is held (up to `maxReorderBytes`),
 * one that goes back over written bytes is refused. Every client in use writes in order.
 */
export class WriteHandle {
  readonly kind = 'write'
  readonly path: string
  readonly created: boolean
  /** Permission bits an FSETSTAT asked for, applied once the file is in place. */
  pendingMode: number | undefined
  readonly #stream: JailWriteStream
  readonly #maxReorderBytes: number
  readonly #mode: number
  readonly #openedAt: number
  readonly #held = new Map<bigint, Buffer>()
  #heldBytes = 0
  #next = 0n
  #failure: Error | undefined
  #settled = false

  constructor(options: WriteHandleOptions) {
    this.path = options.path
    this.created = options.created
    this.#stream = options.stream
    this.#maxReorderBytes = options.maxReorderBytes
    this.#mode = options.mode
    this.#openedAt = options.clock.now()
    // Errors also reach the pending write's callback; this keeps them from going unhandled.
    this.#stream.on('error', (error) => {
      this.#failure ??= error
    })
  }

  async write(offset: bigint, data: Buffer): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure
    if (data.length === 0) return
    if (offset < this.#next) {
      throw this.#fail(
        new SftpStatusError(
          STATUS.OP_UNSUPPORTED,
          'Writing over bytes already written is not supported',
        ),
      )
    }
    if (offset > this.#next) {
      if (this.#heldBytes + data.length > this.#maxReorderBytes || this.#held.has(offset)) {
        throw this.#fail(
          new SftpStatusError(STATUS.OP_UNSUPPORTED, 'Writes must follow each other without gaps'),
        )
      }
      this.#held.set(offset, data)
      this.#heldBytes += data.length
      return
    }
    await this.#append(data)
    for (let chunk = this.#held.get(this.#next); chunk; chunk = this.#held.get(this.#next)) {
      this.#held.delete(this.#next)
      this.#heldBytes -= chunk.length
      await this.#append(chunk)
    }
  }

  /** What FSTAT reports while the upload runs: the bytes written so far. */
  stat(): FileStats {
    return {
      mode: constants.S_IFREG | this.#mode,
      size: Number(this.#next),
      nlink: 1,
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      atimeMs: this.#openedAt,
      mtimeMs: this.#openedAt,
    }
  }

  /** Puts the file in place. Rejects (and leaves nothing) after any failed write or a gap. */
  async commit(): Promise<JailStats | undefined> {
    if (this.#settled) throw new SftpStatusError(STATUS.FAILURE, 'The handle is closed')
    if (this.#failure === undefined && this.#held.size > 0) {
      this.#fail(new SftpStatusError(STATUS.FAILURE, 'The upload has a gap'))
    }
    if (this.#failure !== undefined) {
      await this.abort()
      throw this.#failure
    }
    this.#settled = true
    this.#stream.end()
    await finished(this.#stream)
    return this.#stream.stats
  }

  /** Drops the upload: the temporary file is removed before this resolves. */
  async abort(): Promise<void> {
    this.#settled = true
    this.#held.clear()
    if (!this.#stream.destroyed) this.#stream.destroy()
    await finished(this.#stream).catch(() => undefined)
  }

  #append(chunk: Buffer): Promise<void> {
    this.#next += BigInt(chunk.length)
    return new Promise((resolve, reject) => {
      this.#stream.write(chunk, (error) => {
        if (error) reject(this.#fail(error))
        else resolve()
      })
    })
  }

  #fail(error: Error): Error {
    this.#failure ??= error
    return this.#failure
  }
}
