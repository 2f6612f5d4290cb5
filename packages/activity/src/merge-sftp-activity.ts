import type { StoredActivity } from './activity.js'

/** One entry for the Panel and the stored rows it stands for. */
export interface OutgoingActivity {
  readonly activity: Omit<StoredActivity, 'id'>
  readonly ids: readonly number[]
}

/**
 * Merges SFTP rows as the reference does (behaviour §13): one entry per user, server, IP, event
 * and minute, stamped with the earliest time of its rows, whose `files` hold every file of them
 * in order. At most `maxEntries` entries; a row that would start one more is left for the next
 * run (not in any entry's ids). Rows are taken in the order given.
 */
export class SftpActivityMerger {
  readonly #maxEntries: number
  readonly #groups = new Map<string, { activity: Mutable; ids: number[] }>()

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries
  }

  /** Adds a row; false when it starts a group past the limit (it stays stored). */
  add(row: StoredActivity): boolean {
    const key = JSON.stringify([
      row.user,
      row.server,
      row.ip,
      row.event,
      Math.floor(row.timestamp / 60_000),
    ])
    let group = this.#groups.get(key)
    if (group === undefined) {
      if (this.#groups.size >= this.#maxEntries) return false
      group = {
        activity: { ...withoutId(row), metadata: { files: [] } },
        ids: [],
      }
      this.#groups.set(key, group)
    }
    group.ids.push(row.id)
    if (row.timestamp < group.activity.timestamp) group.activity.timestamp = row.timestamp
    const files = row.metadata['files']
    if (Array.isArray(files)) group.activity.metadata.files.push(...(files as unknown[]))
    return true
  }

  get full(): boolean {
    return this.#groups.size >= this.#maxEntries
  }

  entries(): OutgoingActivity[] {
    return [...this.#groups.values()].map(({ activity, ids }) => ({ activity, ids }))
  }
}

type Mutable = {
  -readonly [K in keyof Omit<StoredActivity, 'id'>]: Omit<StoredActivity, 'id'>[K]
} & {
  metadata: { files: unknown[] }
}

function withoutId(row: StoredActivity): Omit<StoredActivity, 'id'> {
  const { id: _id, ...rest } = row
  return rest
}
