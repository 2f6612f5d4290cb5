/** What a user did to a server, as the daemon records it (behaviour §13). */
export interface ActivityEvent {
  /** `server:console.command`, `server:power.start`, `server:sftp.write`, … */
  readonly event: string
  /** The server's uuid. */
  readonly server: string
  /** The Panel user's uuid; null when no user can be named. */
  readonly user: string | null
  /** The client's address; a port (`host:port`, `[v6]:port`) is stripped before it is stored. */
  readonly ip: string
  /** A JSON object; `{}` when the event has none. */
  readonly metadata?: Readonly<Record<string, unknown>>
  /** When it happened, in milliseconds since the epoch; the time of recording when left out. */
  readonly timestamp?: number
}

/** Takes activity as it happens. Never throws and never waits: a failure is logged. */
export interface ActivityRecorder {
  record(event: ActivityEvent): void
}

/** An activity as the store keeps it, waiting to be sent. */
export interface StoredActivity {
  readonly id: number
  readonly event: string
  readonly server: string
  readonly user: string | null
  readonly ip: string
  readonly metadata: Readonly<Record<string, unknown>>
  /** Milliseconds since the epoch. */
  readonly timestamp: number
}

/** A row to store: a normalised event. */
export type NewActivity = Omit<StoredActivity, 'id'>

/** The SFTP events, merged per user, server, IP, event and minute before they are sent. */
export const SFTP_EVENT_PREFIX = 'server:sftp.'

export function isSftpEvent(event: string): boolean {
  return event.startsWith(SFTP_EVENT_PREFIX)
}
