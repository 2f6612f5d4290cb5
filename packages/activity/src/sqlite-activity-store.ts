import { closeSync, openSync } from 'node:fs'
import type { DatabaseSync, StatementSync } from 'node:sqlite'

import type { NewActivity, StoredActivity } from './activity.js'
import type { ActivityKind, ActivityLimits, ActivityStore } from './ports/activity-store.js'
import { fromStoredTimestamp, toStoredTimestamp } from './stored-timestamp.js'

export interface SqliteActivityStoreOptions {
  /** The database file (Wings: `<root_directory>/wings.db`), created with mode 0600. */
  readonly file: string
}

// The reference's table (GORM's schema for its Activity model), so that a node moving from Wings
// sends what Wings had not sent yet, and back. The index on `server` is ours (the per-server bound).
const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS `activities` (`id` integer NOT NULL,`user` uuid,`server` uuid NOT NULL,' +
    '`event` text NOT NULL,`metadata` text,`ip` text NOT NULL,`timestamp` datetime NOT NULL,' +
    'PRIMARY KEY (`id`))',
  'CREATE INDEX IF NOT EXISTS `idx_activities_event` ON `activities`(`event`)',
  'CREATE INDEX IF NOT EXISTS `idx_activities_server` ON `activities`(`server`)',
]
// Every SFTP event sorts between these two strings ('/' follows '.'), so the event index serves
// both senders' queries.
const SFTP_RANGE = "`event` >= 'server:sftp.' AND `event` < 'server:sftp/'"
const COLUMNS = '`id`, `user`, `server`, `event`, `metadata`, `ip`, `timestamp`'

interface Row {
  id: number
  user: string | null
  server: string
  event: string
  metadata: string | null
  ip: string
  timestamp: string | number
}

/**
 * The ActivityStore on Node's built-in SQLite (`node:sqlite`, Node ≥ 22.13). Write-ahead logging
 * with `synchronous=NORMAL`: a row survives the daemon's crash once `append` resolved (an
 * operating system crash may lose the last commits, never the file). Row counts are kept in
 * memory beside the table, so the bound costs nothing per append.
 */
export class SqliteActivityStore implements ActivityStore {
  readonly #db: DatabaseSync
  readonly #insert: StatementSync
  readonly #readSftp: StatementSync
  readonly #readOther: StatementSync
  readonly #remove: StatementSync
  readonly #perServer = new Map<string, number>()
  #total = 0

  private constructor(db: DatabaseSync) {
    this.#db = db
    for (const statement of SCHEMA) db.exec(statement)
    this.#insert = db.prepare(
      'INSERT INTO `activities` (`user`, `server`, `event`, `metadata`, `ip`, `timestamp`) ' +
        'VALUES (?, ?, ?, ?, ?, ?)',
    )
    const read = (where: string) =>
      db.prepare(
        `SELECT ${COLUMNS} FROM \`activities\` WHERE (${where}) AND \`id\` > ? ORDER BY \`id\` LIMIT ?`,
      )
    this.#readSftp = read(SFTP_RANGE)
    this.#readOther = read(`NOT (${SFTP_RANGE})`)
    this.#remove = db.prepare(
      'DELETE FROM `activities` WHERE `id` IN (SELECT value FROM json_each(?)) RETURNING `server`',
    )
    const counts = db
      .prepare('SELECT `server`, COUNT(*) AS `n` FROM `activities` GROUP BY `server`')
      .all() as unknown as { server: string; n: number }[]
    for (const { server, n } of counts) {
      this.#perServer.set(server, n)
      this.#total += n
    }
  }

  /** Opens (or creates) the database. Rejects with a one-line reason when Node has no SQLite. */
  static async open(options: SqliteActivityStoreOptions): Promise<SqliteActivityStore> {
    let sqlite: typeof import('node:sqlite')
    try {
      sqlite = await import('node:sqlite')
    } catch (err) {
      throw new Error(
        `the activity log needs node:sqlite, built into Node 22.13 and later; this is Node ${process.version}`,
        { cause: err },
      )
    }
    // Created first with mode 0600: the rows hold console commands and client addresses.
    closeSync(openSync(options.file, 'a', 0o600))
    const db = new sqlite.DatabaseSync(options.file)
    try {
      db.exec('PRAGMA journal_mode = WAL')
      db.exec('PRAGMA synchronous = NORMAL')
      db.exec('PRAGMA busy_timeout = 5000')
      return new SqliteActivityStore(db)
    } catch (err) {
      db.close()
      throw err
    }
  }

  append(row: NewActivity, limits: ActivityLimits): Promise<boolean> {
    return call(() => {
      const ofServer = this.#perServer.get(row.server) ?? 0
      if (this.#total >= limits.maxRows || ofServer >= limits.maxRowsPerServer) return false
      this.#insert.run(
        row.user,
        row.server,
        row.event,
        JSON.stringify(row.metadata),
        row.ip,
        toStoredTimestamp(row.timestamp),
      )
      this.#perServer.set(row.server, ofServer + 1)
      this.#total++
      return true
    })
  }

  read(kind: ActivityKind, afterId: number, limit: number): Promise<StoredActivity[]> {
    return call(() => {
      const statement = kind === 'sftp' ? this.#readSftp : this.#readOther
      return (statement.all(afterId, limit) as unknown as Row[]).map(toStored)
    })
  }

  remove(ids: readonly number[]): Promise<void> {
    return call(() => {
      if (ids.length === 0) return
      const removed = this.#remove.all(JSON.stringify(ids)) as unknown as { server: string }[]
      for (const { server } of removed) {
        const left = (this.#perServer.get(server) ?? 1) - 1
        if (left > 0) this.#perServer.set(server, left)
        else this.#perServer.delete(server)
        this.#total--
      }
    })
  }

  count(server?: string): Promise<number> {
    return Promise.resolve(server === undefined ? this.#total : (this.#perServer.get(server) ?? 0))
  }

  close(): Promise<void> {
    return call(() => {
      if (this.#db.isOpen) this.#db.close()
    })
  }
}

function call<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work())
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)))
  }
}

function toStored(row: Row): StoredActivity {
  return {
    id: row.id,
    event: row.event,
    server: row.server,
    user: row.user === '' ? null : row.user,
    ip: row.ip,
    metadata: parseMetadata(row.metadata),
    timestamp: fromStoredTimestamp(row.timestamp),
  }
}

function parseMetadata(text: string | null): Readonly<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(text ?? '{}')
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {}
  } catch {
    return {}
  }
}
