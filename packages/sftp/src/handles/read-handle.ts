import type { FileHandle } from 'node:fs/promises'

import type { FileStats } from '../file-stats.js'

/** A regular file opened for reading: positional reads on a descriptor the jail opened. */
export class ReadHandle {
  readonly kind = 'read'
  /** The file as the client knows it, from the root (`/world/level.dat`). */
  readonly path: string
  readonly #file: FileHandle

  constructor(path: string, file: FileHandle) {
    this.path = path
    this.#file = file
  }

  /** Up to `length` bytes at `offset`; null at end of file. */
  async read(offset: bigint, length: number): Promise<Buffer | null> {
    if (offset > BigInt(Number.MAX_SAFE_INTEGER) || length === 0) return null
    const buffer = Buffer.allocUnsafe(length)
    const { bytesRead } = await this.#file.read(buffer, 0, length, Number(offset))
    return bytesRead === 0 ? null : buffer.subarray(0, bytesRead)
  }

  async stat(): Promise<FileStats> {
    return this.#file.stat()
  }

  async close(): Promise<void> {
    await this.#file.close()
  }

  abort(): Promise<void> {
    return this.close().catch(() => undefined)
  }
}
