import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

import { systemError } from '../backend/backend.js'
import { jailError, translateError } from '../errors.js'
import type { Jail, JailDirectory } from '../jail.js'
import { parseJailPath } from '../jail-path.js'
import { encodeName } from '../name-bytes.js'
import type { Reservation } from '../quota.js'
import type { FileBatch, FileJob, FileResult } from './file-batch-worker.js'

// The worker file sits beside this one: .ts when running from source, .js from dist/.
const WORKER_URL = new URL(
  `./file-batch-worker${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
)

/** Directories kept open between files; archives list a directory's files together. */
const OPEN_DIRECTORIES = 8

interface PendingFile {
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
  readonly reservation: Reservation
  readonly size: number
  readonly path: string
  readonly directory: CachedDirectory
}

interface CachedDirectory {
  readonly opened: Promise<JailDirectory>
  users: number
}

export interface FileWriteOptions {
  readonly mode: number
  readonly mtime?: Date
}

/**
 * Writes whole small files (archive entries held in memory) through a worker thread
 * (file-batch-worker.ts), batched: the jail opens each parent directory (created as a write's
 * parents are), checks the deny list where the file is named and where it really lands, and the
 * quota admits the file's whole size before it is handed over; the worker writes it through a
 * temporary file renamed into place. `write` settles once the file has its name, or has left
 * nothing behind. Close it (`close()`) when done: it waits for the files handed over.
 */
export class FileBatchWriter {
  readonly #jail: Jail
  readonly #replaceLinks: boolean
  readonly #directories = new Map<string, CachedDirectory>()
  readonly #pending = new Map<number, PendingFile>()
  readonly #writes = new Set<Promise<void>>()
  #worker: Worker | undefined
  #batch: FileJob[] = []
  #scheduled = false
  #nextId = 0

  constructor(jail: Jail, options: { readonly replaceLinks: boolean }) {
    this.#jail = jail
    this.#replaceLinks = options.replaceLinks
  }

  /** Writes `data` as the file `path`; `data` is handed over (moved to the worker when it can be). */
  async write(path: string, data: Buffer, options: FileWriteOptions): Promise<void> {
    const p = parseJailPath(path)
    const name = p.components.at(-1)
    if (name === undefined) throw jailError('is_directory', p.input)
    const denylist = this.#jail.denylist
    if (denylist.isDenied(p.relative, false)) throw jailError('denied', p.input)
    const parent = p.components.slice(0, -1).join('/')
    const directory = this.#directory(parent)
    directory.users += 1
    let reservation: Reservation | undefined
    try {
      const dir = await directory.opened
      const real = dir.realPath === '' ? name : `${dir.realPath}/${name}`
      if (denylist.isDenied(real, false)) throw jailError('denied', p.input)
      reservation = this.#jail.quota.reserve(data.length, p.input)
      reservation.admitWrite(data.length)
      const bytes = encodeName(name)
      // The buffer moves to the worker: only one that spans its own memory (never a slice of
      // a shared pool, which moving would take from everyone else) goes as it is.
      const owned = ownsItsMemory(data) ? data : copyOwned(data)
      const job: FileJob = {
        id: this.#nextId++,
        dirFd: dir.fd,
        name: typeof bytes === 'string' ? Buffer.from(bytes) : bytes,
        data: owned,
        mode: options.mode,
        mtimeMs: options.mtime ? options.mtime.getTime() : null,
        replaceLinks: this.#replaceLinks,
      }
      const held = reservation
      const written = new Promise<void>((resolve, reject) => {
        this.#pending.set(job.id, {
          resolve,
          reject,
          reservation: held,
          size: data.length,
          path: p.input,
          directory,
        })
        this.#enqueue(job)
      })
      const tracked = written.catch(() => undefined)
      this.#writes.add(tracked)
      void tracked.then(() => this.#writes.delete(tracked))
      await written
      return
    } catch (error) {
      // Failed before it was handed over: the worker never saw it.
      if (reservation === undefined || !this.#handedOver(error)) {
        reservation?.release()
        this.#done(directory)
      }
      throw error
    }
  }

  // Errors of files the worker wrote were settled (reservation, directory) by #settle.
  readonly #settled = new WeakSet<object>()

  #handedOver(error: unknown): boolean {
    return typeof error === 'object' && error !== null && this.#settled.has(error)
  }

  /** Waits for every file handed over, then stops the worker and closes the directories. */
  async close(): Promise<void> {
    while (this.#writes.size > 0) await Promise.all(this.#writes)
    const worker = this.#worker
    this.#worker = undefined
    await worker?.terminate()
    const directories = [...this.#directories.values()]
    this.#directories.clear()
    await Promise.all(
      directories.map((d) =>
        d.opened.then(
          (dir) => dir.close(),
          () => undefined,
        ),
      ),
    )
  }

  #directory(parent: string): CachedDirectory {
    let directory = this.#directories.get(parent)
    if (directory === undefined) {
      const opened = this.#jail.openDirectory(parent, { create: true })
      opened.catch(() => undefined)
      directory = { opened, users: 0 }
      this.#directories.set(parent, directory)
    }
    // Most recently used last: the eviction below closes the oldest idle ones.
    this.#directories.delete(parent)
    this.#directories.set(parent, directory)
    return directory
  }

  #done(directory: CachedDirectory): void {
    directory.users -= 1
    if (this.#directories.size <= OPEN_DIRECTORIES) return
    for (const [key, cached] of this.#directories) {
      if (this.#directories.size <= OPEN_DIRECTORIES) break
      if (cached.users > 0) continue
      this.#directories.delete(key)
      void cached.opened.then(
        (dir) => dir.close(),
        () => undefined,
      )
    }
  }

  #enqueue(job: FileJob): void {
    this.#batch.push(job)
    if (this.#scheduled) return
    this.#scheduled = true
    // Files queued in the same turn go over together.
    setImmediate(() => {
      this.#scheduled = false
      const jobs = this.#batch
      this.#batch = []
      const owner = this.#jail.owner
      const batch: FileBatch = { jobs, owner: owner ? { uid: owner.uid, gid: owner.gid } : null }
      // Each file's buffer is its own (the engine makes it so): moved, not copied.
      const buffers = jobs.map((job) => job.data.buffer as ArrayBuffer)
      try {
        this.#workerOf().postMessage(batch, buffers)
      } catch (error) {
        for (const job of jobs) this.#settle({ id: job.id, code: 'EIO' }, error as Error)
      }
    })
  }

  #workerOf(): Worker {
    if (this.#worker !== undefined) return this.#worker
    const worker = new Worker(WORKER_URL)
    worker.on('message', (results: FileResult[]) => {
      for (const result of results) this.#settle(result)
    })
    const fail = (error: Error): void => {
      for (const id of [...this.#pending.keys()]) this.#settle({ id, code: 'EIO' }, error)
    }
    worker.on('error', fail)
    worker.on('exit', () => fail(new Error('the file writer stopped')))
    this.#worker = worker
    return worker
  }

  #settle(result: FileResult, cause?: Error): void {
    const pending = this.#pending.get(result.id)
    if (pending === undefined) return
    this.#pending.delete(result.id)
    this.#done(pending.directory)
    if ('freed' in result) {
      pending.reservation.commit(pending.size - result.freed)
      pending.resolve()
      return
    }
    pending.reservation.release()
    const error = failureOf(result.code, pending.path, cause)
    if (typeof error === 'object' && error !== null) this.#settled.add(error)
    pending.reject(error)
  }
}

function ownsItsMemory(data: Buffer): boolean {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.length > 0
}

/** A copy in memory of its own (Buffer.from may take a slice of the shared, unmovable pool). */
function copyOwned(data: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(data.length)
  data.copy(copy)
  return copy
}

function failureOf(code: string, path: string, cause: Error | undefined): unknown {
  if (code === 'SYMLINK') return jailError('symlink', path)
  if (code === 'NOT_REGULAR') return jailError('not_regular', path)
  return cause ?? translateError(systemError(code, 'write'), path)
}
