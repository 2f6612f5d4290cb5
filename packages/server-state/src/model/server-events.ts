import type { ResourceUsage } from './resource-usage.js'
import type { ServerState } from './server-state.js'

/** The outcome of one backup, as `backup completed` carries it (websocket.md §6.2). */
export interface BackupCompleted {
  readonly uuid: string
  readonly isSuccessful: boolean
  /** Hex SHA-1 of the archive; empty on failure. */
  readonly checksum: string
  readonly checksumType: 'sha1'
  /** Bytes; 0 on failure. */
  readonly fileSize: number
}

/** The values of `transfer status`, as on the wire. */
export type TransferStatus = 'processing' | 'cancelling' | 'failure' | 'success' | 'completed'

/**
 * Every event a server publishes, by its wire name (websocket.md §6), with its payload in domain
 * form. The websocket layer forwards each one to the server's sockets and formats the payload.
 * `undefined` payloads are sent as the spec says (`[""]`, or `["null"]` for `deleted`).
 */
export interface ServerEvents {
  /** The process state changed; published only on change. */
  status: ServerState
  /** One console line: container output (already throttled) or a daemon notice. */
  'console output': string
  /** A resource sample while running; zeroes once when the server goes offline. */
  stats: ResourceUsage
  /** One line of install-container output or image-pull progress. */
  'install output': string
  'install started': undefined
  /** The install finished, successful or not. */
  'install completed': undefined
  /** An install or restore notice (websocket.md §6.3), plain text. */
  'daemon message': string
  'backup completed': BackupCompleted
  /** The restore finished, successful or not. */
  'backup restore completed': undefined
  /** One source-node progress line, already formatted. */
  'transfer logs': string
  'transfer status': TransferStatus
  /** The server is being deleted; the bus closes right after. */
  deleted: undefined
}

export type ServerEventName = keyof ServerEvents

/** One published event, as whole-bus subscribers receive it. */
export type ServerEvent = {
  [K in ServerEventName]: { readonly name: K; readonly payload: ServerEvents[K] }
}[ServerEventName]

export const SERVER_EVENT_NAMES: readonly ServerEventName[] = [
  'status',
  'console output',
  'stats',
  'install output',
  'install started',
  'install completed',
  'daemon message',
  'backup completed',
  'backup restore completed',
  'transfer logs',
  'transfer status',
  'deleted',
]
