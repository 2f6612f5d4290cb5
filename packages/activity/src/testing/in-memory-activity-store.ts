import { isSftpEvent, type NewActivity, type StoredActivity } from '../activity.js'
import type { ActivityKind, ActivityLimits, ActivityStore } from '../ports/activity-store.js'

/** An ActivityStore in memory, for unit tests; it runs the same contract as the SQLite store. */
export class InMemoryActivityStore implements ActivityStore {
  readonly #rows = new Map<number, StoredActivity>()
  #nextId = 1
  #closed = false

  append(row: NewActivity, limits: ActivityLimits): Promise<boolean> {
    this.#assertOpen()
    const ofServer = [...this.#rows.values()].filter((r) => r.server === row.server).length
    if (this.#rows.size >= limits.maxRows || ofServer >= limits.maxRowsPerServer) {
      return Promise.resolve(false)
    }
    const id = this.#nextId++
    this.#rows.set(id, structuredClone({ ...row, id }))
    return Promise.resolve(true)
  }

  read(kind: ActivityKind, afterId: number, limit: number): Promise<StoredActivity[]> {
    this.#assertOpen()
    const rows = [...this.#rows.values()]
      .filter((r) => r.id > afterId && isSftpEvent(r.event) === (kind === 'sftp'))
      .sort((a, b) => a.id - b.id)
      .slice(0, limit)
    return Promise.resolve(structuredClone(rows))
  }

  remove(ids: readonly number[]): Promise<void> {
    this.#assertOpen()
    for (const id of ids) this.#rows.delete(id)
    return Promise.resolve()
  }

  count(server?: string): Promise<number> {
    const rows = [...this.#rows.values()]
    return Promise.resolve(
      server === undefined ? rows.length : rows.filter((r) => r.server === server).length,
    )
  }

  close(): Promise<void> {
    this.#closed = true
    return Promise.resolve()
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the activity store is closed')
  }
}
