import type { ActivityEntry, PanelGateway } from '@node/server-state'
import { isDaemonError, systemClock, type Clock, type Logger } from '@node/shared-kernel'

import type { ActivityEvent, ActivityRecorder, NewActivity, StoredActivity } from './activity.js'
import { activityIp } from './client-ip.js'
import { SftpActivityMerger, type OutgoingActivity } from './merge-sftp-activity.js'
import type { ActivityKind, ActivityLimits, ActivityStore } from './ports/activity-store.js'

/** Read before every use, so that `POST /api/update` applies without a restart. */
export interface ActivitySettings extends ActivityLimits {
  /** `system.activity_send_interval`, in milliseconds: the pause between two runs of a sender. */
  readonly sendIntervalMs: number
  /** `system.activity_send_count`: entries per batch. */
  readonly sendCount: number
}

export interface ActivityLogOptions {
  readonly store: ActivityStore
  readonly panel: Pick<PanelGateway, 'sendActivity'>
  readonly settings: () => ActivitySettings
  readonly logger: Logger
  readonly clock?: Clock
}

/** Pages of SFTP rows one run reads at most while it looks for rows of its groups. */
const MAX_SFTP_PAGES = 20

/**
 * The node's activity log (behaviour §13): `record` stores each event durably, and two senders,
 * one for SFTP events (merged per user, server, IP, event and minute) and one for the rest, each
 * send a batch to the Panel every interval. Rows are removed only once the Panel accepted them;
 * a batch the Panel refuses as invalid is split until the refused entries are found, and those
 * alone are dropped. The store is bounded: once full, new events are dropped (logged), so that a
 * flood cannot push out what was recorded before it.
 */
export class ActivityLog implements ActivityRecorder {
  readonly #o: ActivityLogOptions
  readonly #clock: Clock
  readonly #pending = new Set<Promise<void>>()
  readonly #running = new Map<ActivityKind, Promise<void>>()
  readonly #timers = new Map<ActivityKind, () => void>()
  readonly #dropped = new Map<string, number>()
  readonly #abort = new AbortController()
  #closed = false

  constructor(options: ActivityLogOptions) {
    this.#o = options
    this.#clock = options.clock ?? systemClock
  }

  record(event: ActivityEvent): void {
    const { logger } = this.#o
    if (this.#closed) {
      logger.warn('activity recorded after the log was closed; dropped', { event: event.event })
      return
    }
    const ip = activityIp(event.ip)
    if (ip === undefined) {
      // As the reference, which deletes such rows unsent: the Panel refuses them.
      logger.warn('activity dropped: the client address is no IP address', {
        event: event.event,
        server_id: event.server,
        ip: event.ip,
      })
      return
    }
    const row: NewActivity = {
      event: event.event,
      server: event.server,
      user: event.user === '' ? null : event.user,
      ip,
      metadata: event.metadata ?? {},
      timestamp: event.timestamp ?? this.#clock.now(),
    }
    const appended = this.#o.store
      .append(row, this.#o.settings())
      .then((stored) => {
        if (!stored) this.#refused(row)
      })
      .catch((err: unknown) => {
        logger.error('failed to store activity', { event: row.event, server_id: row.server, err })
      })
      .finally(() => this.#pending.delete(appended))
    this.#pending.add(appended)
  }

  /** Starts both senders; the first batches go out one interval from now. */
  start(): void {
    for (const kind of ['other', 'sftp'] as const) this.#schedule(kind)
  }

  /**
   * Runs both senders once now (a sender already running is waited for instead) and resolves when
   * they are done. For tests and for the end of a Panel outage.
   */
  async sendNow(): Promise<void> {
    await Promise.all([this.#runOnce('other'), this.#runOnce('sftp')])
  }

  /** Stops the senders (an unfinished batch stays stored) and closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const cancel of this.#timers.values()) cancel()
    this.#timers.clear()
    this.#abort.abort()
    await Promise.allSettled([...this.#running.values(), ...this.#pending])
    this.#reportDropped()
    await this.#o.store.close()
  }

  #schedule(kind: ActivityKind): void {
    if (this.#closed) return
    const cancel = this.#clock.setTimeout(() => {
      void this.#runOnce(kind).finally(() => this.#schedule(kind))
    }, this.#o.settings().sendIntervalMs)
    this.#timers.set(kind, cancel)
  }

  #runOnce(kind: ActivityKind): Promise<void> {
    const running = this.#running.get(kind)
    if (running !== undefined) return running
    const run = this.#send(kind).finally(() => this.#running.delete(kind))
    this.#running.set(kind, run)
    return run
  }

  async #send(kind: ActivityKind): Promise<void> {
    if (this.#closed) return
    const { logger, store } = this.#o
    const done: number[] = []
    try {
      const batch = kind === 'sftp' ? await this.#sftpBatch() : await this.#otherBatch()
      if (batch.length > 0) await this.#deliver(batch, done)
    } catch (err) {
      if (!this.#abort.signal.aborted) {
        logger.warn('failed to send activity to the Panel; it stays stored for the next run', {
          kind,
          err,
        })
      }
    } finally {
      if (done.length > 0) {
        await store.remove(done).catch((err: unknown) => {
          logger.error('failed to remove sent activity', { kind, rows: done.length, err })
        })
      }
      this.#reportDropped()
    }
  }

  async #otherBatch(): Promise<OutgoingActivity[]> {
    const rows = await this.#o.store.read('other', 0, this.#o.settings().sendCount)
    return rows.map((row) => ({ activity: row, ids: [row.id] }))
  }

  async #sftpBatch(): Promise<OutgoingActivity[]> {
    const count = this.#o.settings().sendCount
    const merger = new SftpActivityMerger(count)
    let afterId = 0
    for (let page = 0; page < MAX_SFTP_PAGES; page++) {
      const rows: StoredActivity[] = await this.#o.store.read('sftp', afterId, count)
      let added = 0
      for (const row of rows) if (merger.add(row)) added++
      const last = rows.at(-1)
      // Past a full page that joined no group, the rest are left for later runs.
      if (last === undefined || rows.length < count || (merger.full && added === 0)) break
      afterId = last.id
    }
    return merger.entries()
  }

  /**
   * Sends the entries; the ids of what the Panel accepted, or refused as invalid (dropped with a
   * log line), are pushed to `done` as they are known, so that an outage midway loses nothing.
   */
  async #deliver(items: readonly OutgoingActivity[], done: number[]): Promise<void> {
    try {
      await this.#o.panel.sendActivity(items.map(toEntry), this.#abort.signal)
      for (const item of items) done.push(...item.ids)
      return
    } catch (err) {
      if (!isRefusal(err)) throw err
      const [only] = items
      if (items.length === 1 && only !== undefined) {
        this.#o.logger.warn('dropping activity the Panel refused as invalid', {
          event: only.activity.event,
          server_id: only.activity.server,
          rows: only.ids.length,
          err,
        })
        done.push(...only.ids)
        return
      }
    }
    const middle = Math.ceil(items.length / 2)
    await this.#deliver(items.slice(0, middle), done)
    await this.#deliver(items.slice(middle), done)
  }

  #refused(row: NewActivity): void {
    const before = this.#dropped.get(row.server) ?? 0
    this.#dropped.set(row.server, before + 1)
    if (before > 0) return
    const { maxRows, maxRowsPerServer } = this.#o.settings()
    this.#o.logger.warn(
      'activity store is full: new events are dropped until the Panel takes some',
      {
        server_id: row.server,
        event: row.event,
        max_rows: maxRows,
        max_rows_per_server: maxRowsPerServer,
      },
    )
  }

  #reportDropped(): void {
    for (const [server, dropped] of this.#dropped) {
      this.#o.logger.warn('activity events were dropped while the store was full', {
        server_id: server,
        dropped,
      })
    }
    this.#dropped.clear()
  }
}

/** The Panel refused the batch for what it holds (400, 413, 422): sending it again cannot help. */
function isRefusal(err: unknown): boolean {
  return isDaemonError(err) && (err.code === 'INVALID' || err.code === 'TOO_LARGE')
}

function toEntry({ activity }: OutgoingActivity): ActivityEntry {
  return {
    user: activity.user,
    server: activity.server,
    event: activity.event,
    metadata: activity.metadata,
    ip: activity.ip,
    timestamp: activityTimestamp(activity.timestamp),
  }
}

/** RFC 3339 in UTC with Go's `RFC3339Nano` fraction: trailing zeros trimmed, none on a whole second. */
export function activityTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z')
}
