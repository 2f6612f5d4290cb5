import { DeniedError, NotFoundError } from '@node/shared-kernel'

import type { ServerConfiguration } from '../model/server-configuration.js'
import type {
  ActivityEntry,
  BackupStatus,
  BackupUploadParts,
  InstallationScript,
  InstallationStatus,
  PanelGateway,
  ServerListEntry,
  SftpAuthRequest,
  SftpAuthResult,
} from '../ports/panel-gateway.js'

export type PanelGatewayMethod = keyof PanelGateway

export interface PanelGatewayCall {
  readonly method: PanelGatewayMethod
  readonly args: readonly unknown[]
}

export interface FakeSftpUser {
  readonly password: string
  readonly server: string
  readonly permissions: readonly string[]
  /** The user's uuid, which the Panel answers as `user`; default: the login name. */
  readonly user?: string
}

/** An SFTP login names the server by the first 8 characters of its uuid: `alice.1a2b3c4d`. */
const SFTP_USERNAME = /^(.+)\.([a-z0-9]{8})$/i

/** Installation script served for a server that has none set: a shell that does nothing. */
export const DEFAULT_INSTALLATION_SCRIPT: InstallationScript = {
  containerImage: 'node-daemon-test/busybox:latest',
  entrypoint: 'sh',
  script: 'echo "installed"\n',
}

/**
 * A Panel held in memory, for unit tests of core packages. It holds server configurations (in
 * insertion order), serves `listServers` page by page as the Panel would, and records every call
 * and every status reported to it. `failNext` and `beforeCall` script failures and pauses.
 */
export class InMemoryPanelGateway implements PanelGateway {
  /** Every call, in order. */
  readonly calls: PanelGatewayCall[] = []
  /** The `page` numbers `listServers` fetched on the last boot (0 first, as Wings asks). */
  readonly pagesServed: number[] = []
  readonly installationStatuses: { uuid: string; status: InstallationStatus }[] = []
  readonly backupStatuses: { backupUuid: string; status: BackupStatus }[] = []
  readonly restoreStatuses: { backupUuid: string; successful: boolean }[] = []
  readonly transferStatuses: { uuid: string; successful: boolean }[] = []
  readonly activity: ActivityEntry[] = []
  resets = 0
  /** Awaited before every call is served; lets a test hold a call until it says so. */
  beforeCall: ((call: PanelGatewayCall) => Promise<void> | void) | undefined
  /** Answers `getBackupUploadParts`; rejects when unset (no S3 configured on this Panel). */
  uploadParts: ((backupUuid: string, size: number) => BackupUploadParts) | undefined
  readonly #servers = new Map<string, ServerConfiguration | Error>()
  readonly #scripts = new Map<string, InstallationScript>()
  readonly #sftpUsers = new Map<string, FakeSftpUser>()
  readonly #failures = new Map<PanelGatewayMethod, Error[]>()

  constructor(configurations: readonly ServerConfiguration[] = []) {
    for (const configuration of configurations) this.putServer(configuration)
  }

  /** Adds or replaces a server (the Panel's side of a sync). */
  putServer(configuration: ServerConfiguration): void {
    this.#servers.set(configuration.settings.uuid, structuredClone(configuration))
  }

  /** Lists a server whose configuration the Panel client could not decode. */
  putBrokenServer(uuid: string, error: Error): void {
    this.#servers.set(uuid, error)
  }

  removeServer(uuid: string): void {
    this.#servers.delete(uuid)
  }

  setInstallationScript(uuid: string, script: InstallationScript): void {
    this.#scripts.set(uuid, script)
  }

  addSftpUser(username: string, user: FakeSftpUser): void {
    this.#sftpUsers.set(username, user)
  }

  /** The next call of `method` rejects with `error` (queued: call again for the call after). */
  failNext(method: PanelGatewayMethod, error: Error): void {
    this.#failures.set(method, [...(this.#failures.get(method) ?? []), error])
  }

  async listServers(options: {
    readonly perPage: number
    readonly signal?: AbortSignal
  }): Promise<ServerListEntry[]> {
    await this.#enter('listServers', [options], options.signal)
    if (!Number.isSafeInteger(options.perPage) || options.perPage < 1) {
      throw new RangeError(`perPage must be a positive integer, got ${options.perPage}`)
    }
    const all = [...this.#servers].map(([uuid, value]): ServerListEntry =>
      value instanceof Error ? { uuid, error: value } : { uuid, configuration: clone(value) },
    )
    const lastPage = Math.max(1, Math.ceil(all.length / options.perPage))
    this.pagesServed.length = 0
    const entries: ServerListEntry[] = []
    for (let page = 1; page <= lastPage; page++) {
      this.pagesServed.push(page === 1 ? 0 : page)
      entries.push(...all.slice((page - 1) * options.perPage, page * options.perPage))
    }
    return entries
  }

  async resetServerStates(signal?: AbortSignal): Promise<void> {
    await this.#enter('resetServerStates', [], signal)
    this.resets++
  }

  async getServerConfiguration(uuid: string, signal?: AbortSignal): Promise<ServerConfiguration> {
    await this.#enter('getServerConfiguration', [uuid], signal)
    return clone(this.#server(uuid))
  }

  async getInstallationScript(uuid: string, signal?: AbortSignal): Promise<InstallationScript> {
    await this.#enter('getInstallationScript', [uuid], signal)
    this.#server(uuid)
    return this.#scripts.get(uuid) ?? DEFAULT_INSTALLATION_SCRIPT
  }

  async setInstallationStatus(
    uuid: string,
    status: InstallationStatus,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#enter('setInstallationStatus', [uuid, status], signal)
    this.#server(uuid)
    this.installationStatuses.push({ uuid, status })
  }

  async getBackupUploadParts(
    backupUuid: string,
    size: number,
    signal?: AbortSignal,
  ): Promise<BackupUploadParts> {
    await this.#enter('getBackupUploadParts', [backupUuid, size], signal)
    if (!this.uploadParts) throw new Error('the fake Panel has no S3 upload parts to give')
    return this.uploadParts(backupUuid, size)
  }

  async setBackupStatus(
    backupUuid: string,
    status: BackupStatus,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#enter('setBackupStatus', [backupUuid, status], signal)
    this.backupStatuses.push({ backupUuid, status })
  }

  async setRestoreStatus(
    backupUuid: string,
    successful: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#enter('setRestoreStatus', [backupUuid, successful], signal)
    this.restoreStatuses.push({ backupUuid, successful })
  }

  async setTransferStatus(uuid: string, successful: boolean, signal?: AbortSignal): Promise<void> {
    await this.#enter('setTransferStatus', [uuid, successful], signal)
    this.transferStatuses.push({ uuid, successful })
  }

  async validateSftpCredentials(
    request: SftpAuthRequest,
    signal?: AbortSignal,
  ): Promise<SftpAuthResult> {
    await this.#enter('validateSftpCredentials', [request], signal)
    const user = this.#sftpUsers.get(request.username)
    if (
      !SFTP_USERNAME.test(request.username) ||
      !user ||
      request.type !== 'password' ||
      user.password !== request.password
    ) {
      throw new DeniedError('The credentials provided were not valid.')
    }
    return {
      user: user.user ?? request.username,
      server: user.server,
      permissions: [...user.permissions],
    }
  }

  async sendActivity(entries: readonly ActivityEntry[], signal?: AbortSignal): Promise<void> {
    await this.#enter('sendActivity', [entries], signal)
    this.activity.push(...entries)
  }

  async #enter(
    method: PanelGatewayMethod,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const call = { method, args }
    this.calls.push(call)
    signal?.throwIfAborted()
    await this.beforeCall?.(call)
    signal?.throwIfAborted()
    const failure = this.#failures.get(method)?.shift()
    if (failure) throw failure
  }

  #server(uuid: string): ServerConfiguration {
    const value = this.#servers.get(uuid)
    if (value === undefined) {
      throw new NotFoundError('The requested server does not exist on the Panel.')
    }
    if (value instanceof Error) throw value
    return value
  }
}

function clone<T>(value: T): T {
  return structuredClone(value)
}
