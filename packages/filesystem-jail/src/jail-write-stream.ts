import { once } from 'node:events'
import fs from 'node:fs'
import { type Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'

import type { Backend } from './backend/backend.js'
import { closeFd, closeQuietly, writeFd, writevFd } from './backend/fd.js'
import { jailError, translateError } from './errors.js'
import type { JailStats } from './jail-stats.js'
import type { Reservation } from './quota.js'

const fchmod = promisify(fs.fchmod)
const fchown = promisify(fs.fchown)
const futimes = promisify(fs.futimes)

/** @internal Everything JailWriteStream needs, prepared by Jail.openWrite. */
export interface WriteTarget {
  readonly backend: Backend
  /** The parent directory (O_PATH); the stream closes it. */
  readonly dirFd: number
  readonly name: string
  /** The temporary file's name in the same directory, and its open descriptor. */
  readonly tempName: string
  readonly fd: number
  /** The caller's path, for errors. */
  readonly path: string
  readonly mode: number
  readonly owner: { readonly uid: number; readonly gid: number } | undefined
  readonly mtime: Date | undefined
  /** Fail with `exists` rather than replace a file that appeared meanwhile. */
  readonly exclusive: boolean
  /** Bytes the replaced file frees, as measured when the write began. */
  readonly freed: number
  readonly reservation: Reservation
  /** Keep the finished file under its temporary name until `commit()`. */
  readonly staged: boolean
}

/** Where the temporary file stands: still written, complete but unnamed, named, or gone. */
type TempState = 'writing' | 'staged' | 'renamed' | 'removed'

/**
 * A file being written through the jail. Bytes go to a temporary file in the target directory;
 * only when the stream finishes is that file renamed over the target, atomically. Every chunk is
 * admitted by the quota before it is written: going over fails the stream with the §3.1 quota
 * error, and a failed or destroyed stream removes its temporary file, so nothing partial is left
 * and the usage is unchanged.
 *
 * A `staged` stream stops short of the rename: once it has finished, the complete file waits
 * under its temporary name until `commit()` names it or `discard()` removes it, so that a caller
 * writing several files can check them all before any of them appears.
 */
export class JailWriteStream extends Writable {
  readonly #t: WriteTarget
  #fdOpen = true
  #written = 0
  #state: TempState = 'writing'
  #stats: JailStats | undefined
  // The write in flight: its descriptor must not be closed (and its number reused) under it.
  #inFlight: Promise<void> = Promise.resolve()

  /** @internal Made by Jail.openWrite. */
  constructor(target: WriteTarget) {
    super({ highWaterMark: 1024 * 1024 })
    this.#t = target
  }

  /** Bytes accepted so far. */
  get bytesWritten(): number {
    return this.#written
  }

  /** The written file's metadata, once it has its name. */
  get stats(): JailStats | undefined {
    return this.#stats
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error) => void): void {
    this.#track(this.#append([chunk])).then(() => done(), done)
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    done: (error?: Error) => void,
  ): void {
    this.#track(this.#append(chunks.map((c) => c.chunk))).then(() => done(), done)
  }

  override _final(done: (error?: Error) => void): void {
    this.#track(this.#finish()).then(
      () => done(),
      (error: unknown) => done(translateError(error, this.#t.path) as Error),
    )
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.#cleanup().then(
      () => done(error),
      () => done(error),
    )
  }

  /**
   * Pipes `source` into this file. Settles once the file is complete (named, or staged) or,
   * when anything failed, once its temporary file is gone: a caller answering right after a
   * failure never shows it.
   */
  async pipeFrom(
    source: Readable | AsyncIterable<Uint8Array>,
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      await pipeline(source, this, signal ? { signal } : {})
    } catch (error) {
      await this.discard()
      throw error
    }
  }

  /**
   * Gives a staged file its name (the rename a plain stream does when it finishes). Rejects
   * unless the stream was opened `staged` and has finished; a failed rename removes the file.
   */
  async commit(): Promise<void> {
    if (this.#state !== 'staged') throw new Error(`cannot commit a write in state ${this.#state}`)
    try {
      await this.#rename()
    } catch (error) {
      await this.discard()
      throw translateError(error, this.#t.path)
    }
  }

  /**
   * Abandons the write at any point: the stream is destroyed and its temporary file removed,
   * staged or not. Resolves once nothing of it is left; a file already named stays.
   */
  async discard(): Promise<void> {
    if (!this.destroyed) this.destroy()
    if (!this.closed) await once(this, 'close').catch(() => undefined)
    if (this.#state === 'staged') await this.#removeTemp()
  }

  #track(work: Promise<void>): Promise<void> {
    this.#inFlight = work.catch(() => undefined)
    return work
  }

  async #append(chunks: Buffer[]): Promise<void> {
    const bytes = chunks.reduce((sum, c) => sum + c.length, 0)
    // Admit first: a write that would pass the limit or eat into the volume's reserve never
    // reaches the disk.
    this.#t.reservation.admitWrite(this.#written + bytes - this.#t.freed)
    this.#written += bytes
    let pending = chunks.filter((c) => c.length > 0)
    while (pending.length > 0) {
      let n =
        pending.length === 1
          ? await writeFd(this.#t.fd, pending[0]!)
          : await writevFd(this.#t.fd, pending)
      // Short writes are rare on regular files, but possible: carry on from where it stopped.
      const rest: Buffer[] = []
      for (const c of pending) {
        if (n >= c.length) n -= c.length
        else {
          rest.push(c.subarray(n))
          n = 0
        }
      }
      pending = rest
    }
  }

  async #finish(): Promise<void> {
    this.#fdOpen = false
    await finishTemp(this.#t)
    if (this.#t.staged) this.#state = 'staged'
    else await this.#rename()
  }

  async #rename(): Promise<void> {
    this.#stats = await nameTemp(this.#t, this.#written, () => (this.#state = 'renamed'))
  }

  async #cleanup(): Promise<void> {
    await this.#inFlight
    if (this.#fdOpen) {
      this.#fdOpen = false
      await closeQuietly(this.#t.fd)
    }
    if (this.#state === 'writing') await this.#removeTemp()
  }

  async #removeTemp(): Promise<void> {
    this.#state = 'removed'
    await dropTemp(this.#t)
  }
}

/** @internal Gives the finished temporary file its mode, owner and mtime, and closes it. */
export async function finishTemp(t: WriteTarget): Promise<void> {
  try {
    await fchmod(t.fd, t.mode)
    if (t.owner) await fchown(t.fd, t.owner.uid, t.owner.gid)
    if (t.mtime) await futimes(t.fd, t.mtime, t.mtime)
  } finally {
    await closeFd(t.fd)
  }
}

/**
 * @internal Renames the finished temporary file over its target (`written` bytes long): refuses to
 * replace a directory, or anything when exclusive; the usage grows by what the rename changed.
 * `renamed` is called once the name is taken. Resolves with the file's metadata.
 */
export async function nameTemp(
  t: WriteTarget,
  written: number,
  renamed: () => void,
): Promise<JailStats | undefined> {
  // What the rename replaces now decides the usage change; refuse to replace a directory.
  const current = await t.backend.lstatAt(t.dirFd, t.name).catch(() => undefined)
  if (current?.kind === 'directory') throw jailError('is_directory', t.path)
  if (current && t.exclusive) throw jailError('exists', t.path)
  await t.backend.renameAt(t.dirFd, t.tempName, t.dirFd, t.name, t.exclusive)
  renamed()
  const freed = current?.kind === 'file' && current.nlink === 1 ? current.size : 0
  t.reservation.commit(written - freed)
  const stats = await t.backend.lstatAt(t.dirFd, t.name).catch(() => undefined)
  await closeQuietly(t.dirFd)
  return stats
}

/** @internal Removes the temporary file and frees its reservation. */
export async function dropTemp(t: WriteTarget): Promise<void> {
  t.reservation.release()
  await t.backend.unlinkAt(t.dirFd, t.tempName, false).catch(() => undefined)
  await closeQuietly(t.dirFd)
}
