import fs from 'node:fs'
import { promisify } from 'node:util'

import { closeQuietly, pwriteFd } from './backend/fd.js'
import { translateError } from './errors.js'
import type { JailStats } from './jail-stats.js'
import { dropTemp, finishTemp, nameTemp, type WriteTarget } from './jail-write-stream.js'

const fstat = promisify(fs.fstat)

/**
 * A file being written at any offset (SFTP), made by Jail.openWriteHandle. Bytes go to a
 * temporary file beside the target, which gets its name only at `commit()`; `abort()`, or a
 * failed write or commit, removes it, so the target is never seen half-written. The quota admits
 * only growth: a write ending past the highest byte written so far reserves the difference,
 * rewriting bytes already there costs nothing.
 */
export class JailWriteHandle {
  readonly #t: WriteTarget
  #end = 0
  #state: 'open' | 'closing' | 'done' = 'open'
  readonly #writes = new Set<Promise<unknown>>()

  /** @internal Made by Jail.openWriteHandle. */
  constructor(target: WriteTarget) {
    this.#t = target
  }

  /** The jail path being written. */
  get path(): string {
    return this.#t.path
  }

  /** Writes all of `data` at `position`; resolves with its length. */
  async write(data: Uint8Array, position: number): Promise<number> {
    if (!Number.isSafeInteger(position) || position < 0)
      throw new RangeError(`bad position: ${position}`)
    if (this.#state !== 'open') throw new Error('the write handle is closed')
    const end = position + data.length
    if (end > this.#end) {
      // Admitted before anything reaches the disk; growth only, net of the file it replaces.
      this.#t.reservation.admitWrite(end - this.#t.freed)
      this.#end = end
    }
    const work = this.#writeAll(data, position)
    this.#writes.add(work)
    try {
      await work
      return data.length
    } catch (error) {
      throw translateError(error, this.#t.path)
    } finally {
      this.#writes.delete(work)
    }
  }

  /** The temporary file's metadata: its size is the highest byte written (holes read as zeros). */
  async stat(): Promise<{ readonly size: number }> {
    if (this.#state === 'done') throw new Error('the write handle is closed')
    const stats = await fstat(this.#t.fd)
    return { size: stats.size }
  }

  /**
   * Waits for the writes in flight, then gives the file its mode, owner and mtime and renames it
   * over the target. On failure nothing is left and the target is as it was.
   */
  async commit(): Promise<JailStats | undefined> {
    if (this.#state !== 'open') throw new Error('the write handle is closed')
    this.#state = 'closing'
    await this.#settled()
    let named = false
    try {
      // finishTemp closes the descriptor whatever happens.
      await finishTemp(this.#t)
      return await nameTemp(this.#t, this.#end, () => (named = true))
    } catch (error) {
      if (!named) await dropTemp(this.#t)
      throw translateError(error, this.#t.path)
    } finally {
      this.#state = 'done'
    }
  }

  /** Abandons the file: waits for the writes in flight, removes it. Idempotent; no-op after commit(). */
  async abort(): Promise<void> {
    // Once a commit began, it settles the file itself (named, or removed).
    if (this.#state !== 'open') return
    this.#state = 'closing'
    await this.#settled()
    this.#state = 'done'
    await closeQuietly(this.#t.fd)
    await dropTemp(this.#t)
  }

  async #writeAll(data: Uint8Array, position: number): Promise<void> {
    for (let offset = 0; offset < data.length;) {
      offset += await pwriteFd(this.#t.fd, data.subarray(offset), position + offset)
    }
  }

  async #settled(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes])
  }
}
