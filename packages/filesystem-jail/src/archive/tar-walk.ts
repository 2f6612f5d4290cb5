import { extname } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

import type { Jail, JailDirectory } from '../jail.js'
import { decodeName, encodeName } from '../name-bytes.js'
import type { TarWalkInit, TarWalkMessage, TarWalkReply } from './tar-walk-worker.js'

// The worker file sits beside this one: .ts when running from source, .js from dist/.
const WORKER_URL = new URL(
  `./tar-walk-worker${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
)

/** Tar bytes per gzip member: 1 MiB. */
const BLOCK_BYTES = 1024 * 1024
/** Members the worker may have handed over before the stream asked for more. */
const BLOCKS_AHEAD = 4

export interface TarWalkOptions {
  /** Jail path of the directory walked; entry names are relative to it. */
  readonly directory: string
  /** Paths relative to `directory` to include (files or whole trees); default everything. */
  readonly paths?: readonly string[]
  /**
   * Leaves out a path (relative to `directory`) and, for a directory, everything below it: an
   * ignored directory is neither archived nor walked.
   */
  readonly ignore?: (relPath: string, isDirectory: boolean) => boolean
  /** Store symlinks as symlink entries (never followed); default false: left out. */
  readonly symlinks?: boolean
  /** Called with the running total of file bytes read. */
  readonly onProgress?: (bytesRead: number) => void
  /** gzip level 0-9; default 1 (`system.backups.compression_level: best_speed`). */
  readonly level?: number
  /** Called for each entry left out by the hard-link rule (README), for the caller's log. */
  readonly onSkipped?: (relPath: string, reason: 'hard_link') => void
}

/**
 * The .tar.gz of a jail subtree, produced by a worker thread (tar-walk-worker.ts) that walks and
 * reads with synchronous calls and compresses 1 MiB blocks of the tar as independent gzip members
 * (one valid gzip file: `gzip -d`, `tar -xzf` and node's gunzip read it; the ratio loses a little
 * at each member), four at once on the libuv pool, handed over at most BLOCKS_AHEAD ahead of the
 * consumer. The jail opens the directory; the worker never resolves a path from the root.
 * Entries: directories, regular files, and symlinks when asked; denied and ignored paths, FIFOs,
 * devices, sockets and the jail's temporary files are left out. Destroying the stream stops the
 * worker, which closes everything it opened before the stream closes.
 */
export class TarWalkStream extends Readable {
  readonly #jail: Jail
  readonly #options: TarWalkOptions
  readonly #stop = new SharedArrayBuffer(4)
  #directory: JailDirectory | undefined
  #worker: Worker | undefined
  #owed = 0
  #exited: Promise<void> = Promise.resolve()

  constructor(jail: Jail, options: TarWalkOptions) {
    super({ highWaterMark: BLOCK_BYTES })
    this.#jail = jail
    this.#options = options
  }

  override _construct(done: (error?: Error | null) => void): void {
    this.#start().then(() => done(), done)
  }

  override _read(): void {
    const owed = this.#owed
    this.#owed = 0
    if (owed > 0) this.#credit(owed)
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    Atomics.store(new Int32Array(this.#stop), 0, 1)
    this.#post({ t: 'stop' })
    // The worker closes what it opened before it exits; only then is its directory closed.
    void this.#exited
      .then(() => this.#directory?.close())
      .then(
        () => done(error),
        () => done(error),
      )
  }

  async #start(): Promise<void> {
    const { directory, paths } = this.#options
    const dir = await this.#jail.openDirectory(directory)
    this.#directory = dir
    const shown = directory.replace(/^\/+|\/+$/g, '')
    const denylist = this.#jail.denylist
    const ignore = this.#options.ignore
    const filter = ignore !== undefined || !denylist.empty
    const keep = (rel: string, isDir: boolean): boolean => {
      if (ignore?.(rel, isDir)) return false
      if (denylist.empty) return true
      // The deny list is matched where the entry is, as given and as it really is.
      const given = shown === '' ? rel : `${shown}/${rel}`
      const real = dir.realPath === '' ? rel : `${dir.realPath}/${rel}`
      return !denylist.isDenied(given, isDir) && !denylist.isDenied(real, isDir)
    }
    const owner = this.#jail.owner
    const init: TarWalkInit = {
      dirFd: dir.fd,
      paths: paths === undefined ? null : paths.map(rawPath),
      filter,
      symlinks: this.#options.symlinks ?? false,
      reader: owner ? { uid: owner.uid, gid: owner.gid } : null,
      blockBytes: BLOCK_BYTES,
      level: this.#options.level ?? 1,
      stop: this.#stop,
    }
    const worker = new Worker(WORKER_URL, { workerData: { kind: 'tar-walk', init } })
    this.#worker = worker
    this.#exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
    let ended = false
    worker.on('message', (message: TarWalkMessage) => {
      switch (message.t) {
        case 'block': {
          this.#options.onProgress?.(message.read)
          const block = Buffer.from(
            message.data.buffer,
            message.data.byteOffset,
            message.data.length,
          )
          if (this.push(block)) this.#credit(1)
          else this.#owed += 1
          return
        }
        case 'filter': {
          const kept = message.paths.map((path, i) => keep(decodeName(path), message.dirs[i]!))
          this.#post({ t: 'keep', keep: kept })
          return
        }
        case 'skipped':
          this.#options.onSkipped?.(decodeName(message.path), 'hard_link')
          return
        case 'end':
          ended = true
          this.#options.onProgress?.(message.read)
          this.push(null)
          return
        case 'error':
          this.destroy(Object.assign(new Error(message.message), { code: message.code }))
      }
    })
    worker.once('error', (error: Error) => this.destroy(error))
    worker.once('exit', () => {
      if (!ended && !this.destroyed) this.destroy(new Error('the archive walker stopped'))
    })
    this.#credit(BLOCKS_AHEAD)
  }

  #credit(blocks: number): void {
    this.#post({ t: 'credit', blocks })
  }

  #post(reply: TarWalkReply): void {
    try {
      this.#worker?.postMessage(reply)
    } catch {
      // The worker is gone: nothing left to tell it.
    }
  }
}

function rawPath(path: string): Uint8Array {
  const bytes = encodeName(path)
  return typeof bytes === 'string' ? Buffer.from(bytes) : bytes
}
