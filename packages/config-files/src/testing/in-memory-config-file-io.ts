import type { ConfigFileIo } from '../ports/config-file-io.js'

/** A ConfigFileIo over a map of paths to bytes that records every write, for tests. */
export class InMemoryConfigFileIo implements ConfigFileIo {
  readonly files: Map<string, Buffer>
  /** Every path written, in order. */
  readonly writes: string[] = []
  /** Paths whose read or write rejects, to test failure handling. */
  readonly failing = new Set<string>()

  constructor(files: Record<string, string | Buffer> = {}) {
    this.files = new Map(
      Object.entries(files).map(([path, data]) => [path, Buffer.from(data)] as const),
    )
  }

  read(path: string): Promise<Buffer | undefined> {
    if (this.failing.has(path)) return Promise.reject(new Error(`cannot read ${path}`))
    return Promise.resolve(this.files.get(path))
  }

  write(path: string, data: Buffer): Promise<void> {
    if (this.failing.has(path)) return Promise.reject(new Error(`cannot write ${path}`))
    this.writes.push(path)
    this.files.set(path, Buffer.from(data))
    return Promise.resolve()
  }

  /** The file's content as UTF-8 text, or `undefined` when it does not exist. */
  text(path: string): string | undefined {
    return this.files.get(path)?.toString('utf8')
  }
}
