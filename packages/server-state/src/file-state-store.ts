import { randomUUID } from 'node:crypto'
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import path from 'node:path'

import { nullLogger, type Logger } from '@node/shared-kernel'

import { isServerState, type ServerState } from './model/server-state.js'
import type { SavedStates, StateStore } from './ports/state-store.js'

export interface FileStateStoreOptions {
  /** The states file, `<root_directory>/states.json` in Wings; its directory must exist. */
  readonly file: string
  /** Where unreadable content and leftovers are reported. */
  readonly logger?: Logger
  /** Permission bits of the file (default 0o644, as Wings). */
  readonly mode?: number
}

const TEMP_SUFFIX = /^\.[0-9a-f-]{36}\.tmp$/

/**
 * StateStore on one JSON file, `{"<uuid>":"running", …}` with sorted keys as Wings writes it.
 * Saves go to a temp file in the same directory, are fsynced, then renamed over the file, so a
 * crash leaves the old or the new file, never a torn one. Loads and saves run one at a time.
 */
export class FileStateStore implements StateStore {
  readonly #file: string
  readonly #logger: Logger
  readonly #mode: number
  #queue: Promise<unknown> = Promise.resolve()

  constructor(options: FileStateStoreOptions) {
    this.#file = path.resolve(options.file)
    this.#logger = (options.logger ?? nullLogger).child({ file: this.#file })
    this.#mode = options.mode ?? 0o644
  }

  load(): Promise<SavedStates> {
    return this.#serialised(() => this.#load())
  }

  async save(states: SavedStates): Promise<void> {
    // Checked and copied before queueing: a bad value never reaches the disk, and a caller
    // changing its object while the save waits changes nothing.
    const json = toJson(states)
    await this.#serialised(() => this.#write(json))
  }

  #serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work)
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #load(): Promise<SavedStates> {
    await this.#removeLeftovers()
    let text: string
    try {
      text = await readFile(this.#file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#logger.warn('failed to read server states, assuming every server is offline', {
          err,
        })
      }
      return {}
    }
    if (text.trim() === '') return {}
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      this.#logger.warn('server states file is not valid JSON, assuming every server is offline', {
        err,
      })
      return {}
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      this.#logger.warn('server states file is not a JSON object, assuming every server is offline')
      return {}
    }
    const states: [string, ServerState][] = []
    for (const [uuid, state] of Object.entries(parsed)) {
      if (isServerState(state)) states.push([uuid, state])
      else this.#logger.warn('ignoring an invalid saved server state', { server_id: uuid })
    }
    return Object.fromEntries(states)
  }

  async #write(json: string): Promise<void> {
    const temp = `${this.#file}.${randomUUID()}.tmp`
    try {
      const handle = await open(temp, 'wx', this.#mode)
      try {
        await handle.writeFile(json, 'utf8')
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temp, this.#file)
    } catch (err) {
      await unlink(temp).catch(() => undefined)
      throw err
    }
    await this.#syncDirectory()
  }

  // Makes the rename itself durable. Not every platform can fsync a directory; that is fine.
  async #syncDirectory(): Promise<void> {
    try {
      const dir = await open(path.dirname(this.#file), 'r')
      try {
        await dir.sync()
      } finally {
        await dir.close()
      }
    } catch {
      // Best effort only.
    }
  }

  // Temp files of a write that a crash interrupted; the real file is intact beside them.
  async #removeLeftovers(): Promise<void> {
    const base = path.basename(this.#file)
    let names: string[]
    try {
      names = await readdir(path.dirname(this.#file))
    } catch {
      return
    }
    for (const name of names) {
      if (!name.startsWith(base) || !TEMP_SUFFIX.test(name.slice(base.length))) continue
      this.#logger.info('removing a states file left by an interrupted write', { leftover: name })
      await unlink(path.join(path.dirname(this.#file), name)).catch(() => undefined)
    }
  }
}

function toJson(states: SavedStates): string {
  if (typeof states !== 'object' || states === null || Array.isArray(states)) {
    throw new TypeError('server states must be an object of uuid to state')
  }
  const entries = Object.entries(states).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [uuid, state] of entries) {
    if (!isServerState(state)) {
      throw new TypeError(`saved state of ${uuid} is not a server state: ${String(state)}`)
    }
  }
  return JSON.stringify(Object.fromEntries(entries))
}
