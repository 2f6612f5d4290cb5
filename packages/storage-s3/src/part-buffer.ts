import { constants, createReadStream } from 'node:fs'
import fs, { type FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'

/** The bytes of one part while it is filled and uploaded; `body()` replays them for each attempt. */
export interface PartBuffer {
  readonly size: number
  append(chunk: Buffer): Promise<void>
  /** No more bytes come; the part can be uploaded. */
  seal(): Promise<void>
  body(): Readable
  /** Frees the bytes (the spool file is deleted); safe to call more than once. */
  dispose(): Promise<void>
}

/** A part held in memory: for parts no bigger than the spool threshold. */
export class MemoryPart implements PartBuffer {
  #chunks: Buffer[] = []
  #size = 0

  get size(): number {
    return this.#size
  }

  append(chunk: Buffer): Promise<void> {
    this.#chunks.push(chunk)
    this.#size += chunk.length
    return Promise.resolve()
  }

  seal(): Promise<void> {
    return Promise.resolve()
  }

  body(): Readable {
    return Readable.from(this.#chunks, { objectMode: false })
  }

  dispose(): Promise<void> {
    this.#chunks = []
    return Promise.resolve()
  }
}

/** A part spooled to a file of its own (mode 0600), deleted once it is acknowledged or given up. */
export class SpooledPart implements PartBuffer {
  readonly path: string
  #handle: FileHandle | undefined
  #size = 0
  #disposed = false

  private constructor(file: string, handle: FileHandle) {
    this.path = file
    this.#handle = handle
  }

  static async create(file: string): Promise<SpooledPart> {
    const handle = await fs.open(
      file,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    )
    return new SpooledPart(file, handle)
  }

  get size(): number {
    return this.#size
  }

  async append(chunk: Buffer): Promise<void> {
    if (this.#handle === undefined) throw new Error('the spooled part is sealed')
    let written = 0
    while (written < chunk.length) {
      const { bytesWritten } = await this.#handle.write(chunk, written, chunk.length - written)
      written += bytesWritten
    }
    this.#size += chunk.length
  }

  async seal(): Promise<void> {
    const handle = this.#handle
    this.#handle = undefined
    await handle?.close()
  }

  body(): Readable {
    if (this.#size === 0) return Readable.from([])
    return createReadStream(this.path, { start: 0, end: this.#size - 1 })
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return
    this.#disposed = true
    await this.seal().catch(() => undefined)
    await fs.rm(this.path, { force: true })
  }
}
