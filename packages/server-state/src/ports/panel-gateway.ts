import type { ServerConfiguration } from '../model/server-configuration.js'

/**
 * The Panel as the daemon calls it (spec/panel-remote-calls.md). Adapter: @node/panel-client.
 * Every method retries as the spec says and rejects with an error naming the call that failed;
 * a Panel 404 for a server rejects with NotFoundError.
 */
export interface PanelGateway {
  /** Every server of this node, all pages; an entry whose configuration is malformed carries its error. */
  listServers(options: {
    readonly perPage: number
    readonly signal?: AbortSignal
  }): Promise<ServerListEntry[]>
  /** Tells the Panel to clear installing/restoring statuses a daemon restart interrupted. */
  resetServerStates(signal?: AbortSignal): Promise<void>
  getServerConfiguration(uuid: string, signal?: AbortSignal): Promise<ServerConfiguration>
  getInstallationScript(uuid: string, signal?: AbortSignal): Promise<InstallationScript>
  setInstallationStatus(
    uuid: string,
    status: InstallationStatus,
    signal?: AbortSignal,
  ): Promise<void>
  getBackupUploadParts(
    backupUuid: string,
    size: number,
    signal?: AbortSignal,
  ): Promise<BackupUploadParts>
  setBackupStatus(backupUuid: string, status: BackupStatus, signal?: AbortSignal): Promise<void>
  setRestoreStatus(backupUuid: string, successful: boolean, signal?: AbortSignal): Promise<void>
  setTransferStatus(uuid: string, successful: boolean, signal?: AbortSignal): Promise<void>
  /** Rejects with DeniedError for every 4xx: the Panel refused the credentials. */
  validateSftpCredentials(request: SftpAuthRequest, signal?: AbortSignal): Promise<SftpAuthResult>
  /** Rejects with InvalidError when the Panel refuses the entries as invalid (400, 413, 422). */
  sendActivity(entries: readonly ActivityEntry[], signal?: AbortSignal): Promise<void>
}

export type ServerListEntry =
  | { readonly uuid: string; readonly configuration: ServerConfiguration }
  | { readonly uuid: string; readonly error: Error }

export interface InstallationScript {
  readonly containerImage: string
  readonly entrypoint: string
  readonly script: string
}

export interface InstallationStatus {
  readonly successful: boolean
  readonly reinstall: boolean
}

export interface BackupUploadParts {
  readonly parts: readonly string[]
  readonly partSize: number
}

export interface BackupStatus {
  readonly successful: boolean
  readonly checksum: string
  readonly checksumType: string
  readonly size: number
  /** S3 parts uploaded; null for local backups. */
  readonly parts: readonly { readonly etag: string; readonly partNumber: number }[] | null
}

export interface SftpAuthRequest {
  readonly type: 'password' | 'public_key'
  readonly username: string
  /** The password, or the public key in authorized_keys form. */
  readonly password: string
  /** Remote address with port. */
  readonly ip: string
  readonly sessionId: Buffer
  readonly clientVersion: Buffer
}

export interface SftpAuthResult {
  readonly user: string
  readonly server: string
  readonly permissions: readonly string[]
}

export interface ActivityEntry {
  readonly user: string | null
  readonly server: string
  readonly event: string
  readonly metadata: Readonly<Record<string, unknown>>
  readonly ip: string
  /** RFC 3339 with up to nanoseconds, UTC. */
  readonly timestamp: string
}
