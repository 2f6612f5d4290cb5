import type { NewActivity, StoredActivity } from '../activity.js'

/** How much the store may hold while it waits for the Panel. */
export interface ActivityLimits {
  /** Rows on the whole node. */
  readonly maxRows: number
  /** Rows of one server, so that one server's flood leaves room for the others. */
  readonly maxRowsPerServer: number
}

/** Which rows a sender reads: the SFTP events (merged before sending) or all others. */
export type ActivityKind = 'sftp' | 'other'

/**
 * Where activity waits until the Panel accepted it. Adapter: SqliteActivityStore (node:sqlite);
 * fake: InMemoryActivityStore. What `append` resolved survives a restart of the daemon.
 */
export interface ActivityStore {
  /**
   * Stores the row, unless that would pass one of the limits; resolves whether it was stored.
   * The check and the insert are one step: concurrent appends cannot pass a limit together.
   */
  append(row: NewActivity, limits: ActivityLimits): Promise<boolean>
  /** Up to `limit` rows of `kind` whose id is above `afterId`, by ascending id (oldest first). */
  read(kind: ActivityKind, afterId: number, limit: number): Promise<StoredActivity[]>
  /** Removes these rows; unknown ids are ignored. */
  remove(ids: readonly number[]): Promise<void>
  /** Rows stored now, on the node and of one server. */
  count(server?: string): Promise<number>
  /** Releases the store; nothing may be called afterwards. */
  close(): Promise<void>
}
