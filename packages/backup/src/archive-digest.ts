import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

/**
 * A pass-through that hashes (SHA-1) and counts every byte on its way, so a store learns the
 * archive's checksum and size while writing it, never by reading it back.
 */
export class ArchiveDigest extends Transform {
  readonly #hash: Hash = createHash('sha1')
  #size = 0
  #sha1: string | undefined

  constructor() {
    super({ highWaterMark: 1024 * 1024 })
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk)
    this.#size += chunk.length
    done(null, chunk)
  }

  override _flush(done: TransformCallback): void {
    this.#sha1 = this.#hash.digest('hex')
    done()
  }

  /** Bytes seen so far. */
  get sizeBytes(): number {
    return this.#size
  }

  /** Hex SHA-1 of all bytes; only once the input has ended (throws before). */
  get sha1(): string {
    if (this.#sha1 === undefined) throw new Error('the archive has not ended yet')
    return this.#sha1
  }
}
