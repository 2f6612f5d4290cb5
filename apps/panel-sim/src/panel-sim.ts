import { readFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import { adminRoutes } from './admin-api.js'
import { UrlOnlyObjectStore, type BackupObjectStore } from './backup-object-store.js'
import { CallRecorder, type CallMatcher, type RecordedCall } from './call-recorder.js'
import { DaemonClient, type DaemonResponse } from './daemon-client.js'
import { FailureInjector, type FailureSpec } from './failure-injector.js'
import { FixtureError, isObject } from './field-reader.js'
import type { BackupFixture, Fixture, NodeFixture, ServerFixture, ServerPatch } from './fixture.js'
import { authenticateApplication } from './daemon-auth.js'
import { createHttpApp } from './http-app.js'
import {
  connectionAddress,
  JwtIssuer,
  rawUrlDecode,
  type IssuedToken,
  type IssueOptions,
  type PanelVersion,
} from './jwt-issuer.js'
import {
  nodeConfiguration,
  nodeConfigurationYaml,
  type NodeConfiguration,
} from './node-configuration.js'
import { PanelError, PanelErrors } from './panel-error.js'
import { PanelState } from './panel-state.js'
import { randomAlnum } from './random.js'
import type {
  ActivityRecord,
  AllocationRecord,
  BackupRecord,
  EggRecord,
  NodeRecord,
  ServerRecord,
  TransferRecord,
  UserRecord,
} from './records.js'
import { remoteApiRoutes, userPermissions } from './remote-api.js'
import type { Route } from './route.js'
import { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store.js'
import { serverConfiguration, type ServerConfigurationWire } from './server-configuration.js'
import { LoginThrottle } from './sftp-throttle.js'

export interface PanelSimOptions {
  /** The starting database: an object, or the path of a JSON file. Default: one node, one admin, one egg, no servers. */
  readonly fixture?: Fixture | string
  /** Merged over the fixture's first node (for tests that bring their own daemon URL and tokens). */
  readonly node?: NodeFixture
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Default 0 (a free port). */
  readonly port?: number
  /** `APP_URL`; overrides the fixture's. Default: the simulator's own URL. */
  readonly appUrl?: string
  /** Token format: `1.12` (default: adds `scope`, sha256 `jti`, no `user_id`) or `1.11` (as spec B). */
  readonly panelVersion?: PanelVersion
  /** `APP_BACKUP_DRIVER`; overrides the fixture's. */
  readonly backupDriver?: 'wings' | 's3'
  /** The S3 behind `backupDriver: 's3'`: a real endpoint (SigV4, e.g. s3rver) or only a base URL for part URLs. */
  readonly s3?: S3ObjectStoreOptions | { readonly baseUrl: string }
  /** `BACKUP_MAX_PART_SIZE` in bytes; default 5 GiB. */
  readonly partSize?: number
  /** Verify daemons' TLS certificates (`APP_ENV=production`); default off. */
  readonly verifyTls?: boolean
  /** Receives the simulator's own log lines (failed calls to daemons, unexpected errors). */
  readonly log?: (message: string, fields?: Record<string, unknown>) => void
}

/** Target of `sim.daemon()`: a node id, a URL (with the first node's token), or both given explicitly. */
export type DaemonTarget = number | string | { readonly url: string; readonly token: string }

export interface TokenRequest {
  /** Server uuid or short id. */
  readonly server: string
  /** User id, uuid or username; default the server's owner. */
  readonly user?: number | string
  /** Replace the computed `permissions` claim (websocket tokens). */
  readonly permissions?: readonly string[]
}

/** The result of a Panel action that called a daemon. */
export interface PanelActionResult<T = undefined> {
  readonly response: DaemonResponse
  /** True when the Panel would report success to its user. */
  readonly ok: boolean
  readonly value: T
}

/** A running Panel simulator. */
export interface PanelSim extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`: the base of the remote API and the admin API. */
  readonly url: string
  /** `APP_URL` (the `iss` of tokens, `remote` of the node config). */
  readonly appUrl: string
  /** An application API key with node read permission (for `wings configure`). */
  readonly applicationApiKey: string

  /** Every request to the Panel API so far (not the admin API), oldest first. */
  readonly calls: readonly RecordedCall[]
  callsTo(path: CallMatcher, method?: string): RecordedCall[]
  waitForCall(predicate: (call: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>
  clearCalls(): void
  /** The next `times` requests matching `path` get `status` (or a dropped connection). */
  failNext(spec: FailureSpec): void
  clearFailures(): void

  nodes(): NodeRecord[]
  node(id?: number): NodeRecord
  users(): UserRecord[]
  eggs(): EggRecord[]
  servers(): ServerRecord[]
  server(uuid: string): ServerRecord
  allocations(): AllocationRecord[]
  backups(serverUuid?: string): BackupRecord[]
  backup(uuid: string): BackupRecord
  transfers(): TransferRecord[]
  /** Activity the daemon posted (`source: 'daemon'`) and the Panel logged itself (`'panel'`). */
  activity(): ActivityRecord[]
  /** The R3 body of a server, exactly as the remote API serves it. */
  serverConfiguration(uuid: string): ServerConfigurationWire

  addNode(node: NodeFixture): NodeRecord
  addUser(user: unknown): UserRecord
  addEgg(egg: unknown): EggRecord
  /** Adds rows only; see `createServer` for the Panel's create flow. */
  addServer(server: ServerFixture): ServerRecord
  updateServer(uuid: string, patch: ServerPatch): ServerRecord
  removeServer(uuid: string): void
  addBackup(serverUuid: string, backup: BackupFixture): BackupRecord

  /** The presigned S3 `GetObject` URL of an S3 backup (a restore's `download_url`, 5 minutes). */
  backupObjectUrl(backupUuid: string): Promise<string>

  /** A Panel → daemon client for a node (default the first). */
  daemon(target?: DaemonTarget): DaemonClient
  /** `POST /api/update` body and `GET /api/application/nodes/<id>/configuration` answer. */
  nodeConfiguration(nodeId?: number): NodeConfiguration
  nodeConfigurationYaml(nodeId?: number): string

  readonly tokens: TokenIssuer

  /** Panel flows (panel-contract.md A.3, A.6), with the Panel's rollbacks on daemon errors. */
  createServer(
    server: ServerFixture,
    options?: { startOnCompletion?: boolean },
  ): Promise<PanelActionResult<ServerRecord | null>>
  deleteServer(uuid: string, options?: { force?: boolean }): Promise<PanelActionResult>
  suspendServer(uuid: string): Promise<PanelActionResult>
  unsuspendServer(uuid: string): Promise<PanelActionResult>
  /** Changes build fields and syncs; a failed sync is only logged, as in the Panel. */
  updateBuild(uuid: string, patch: ServerPatch): Promise<PanelActionResult>
  reinstallServer(uuid: string): Promise<PanelActionResult>
  createBackup(
    uuid: string,
    options?: { name?: string; ignore?: string; locked?: boolean },
  ): Promise<PanelActionResult<BackupRecord | null>>
  restoreBackup(
    uuid: string,
    backupUuid: string,
    options?: { truncate?: boolean },
  ): Promise<PanelActionResult>
  deleteBackup(uuid: string, backupUuid: string): Promise<PanelActionResult>
  transferServer(
    uuid: string,
    options: {
      node: number
      allocation?: { ip: string; port: number }
      additional?: readonly { ip: string; port: number }[]
    },
  ): Promise<PanelActionResult<TransferRecord | null>>
  /** `ws/deny` with md5(user id . server uuid), as on subuser changes. */
  revokeUserAccess(uuid: string, user: number | string): Promise<PanelActionResult>

  close(): Promise<void>
}

/** Token kinds the Panel mints, with the delivery the Panel's client API wraps them in. */
export interface TokenIssuer {
  /** `{token, socket}` as `GET /api/client/servers/{server}/websocket` returns them. */
  websocket(
    request: TokenRequest,
    options?: IssueOptions,
  ): IssuedToken & { readonly socket: string }
  /** `file` is the query value; the Panel URL-decodes it once more into `file_path`. */
  fileDownload(
    request: TokenRequest & { readonly file: string },
    options?: IssueOptions,
  ): IssuedToken & { readonly url: string }
  fileUpload(request: TokenRequest, options?: IssueOptions): IssuedToken & { readonly url: string }
  backupDownload(
    request: TokenRequest & { readonly backup: string },
    options?: IssueOptions,
  ): IssuedToken & { readonly url: string }
  /** For the target node: `authorization` is the `Bearer …` string of the transfer body. */
  transfer(
    request: { readonly server: string; readonly targetNode: number },
    options?: IssueOptions,
  ): IssuedToken & { readonly url: string; readonly authorization: string }
}

const DEFAULT_PART_SIZE = 5_368_709_120

/** Starts a simulator listening on loopback; `close()` (or `await using`) stops it. */
export async function startPanelSim(options: PanelSimOptions = {}): Promise<PanelSim> {
  const fixture = await loadFixture(options.fixture)
  const state = new PanelState()
  state.load(mergeNode(fixture, options.node))
  if (options.backupDriver) state.backupDriver = options.backupDriver
  if (state.apiKeys.length === 0)
    state.apiKeys.push({ token: `ptla_${randomAlnum(43)}`, nodesRead: true })
  const sim = new Simulator(state, options)
  await sim.listen(options.host ?? '127.0.0.1', options.port ?? 0)
  if (options.appUrl) state.appUrl = options.appUrl
  if (state.appUrl === '') state.appUrl = sim.url
  return sim
}

async function loadFixture(source: Fixture | string | undefined): Promise<unknown> {
  if (source === undefined) return {}
  if (typeof source !== 'string') return source
  const text = await readFile(source, 'utf8')
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new FixtureError(`${source} is not valid JSON: ${(err as Error).message}`)
  }
}

function mergeNode(fixture: unknown, node: NodeFixture | undefined): unknown {
  if (node === undefined) return fixture
  if (!isObject(fixture)) return fixture
  const nodes = Array.isArray(fixture['nodes']) ? [...(fixture['nodes'] as unknown[])] : [{}]
  const first = nodes[0]
  const merged: Record<string, unknown> = { ...(isObject(first) ? first : {}), ...node }
  // An explicit daemonUrl replaces the fixture's address fields.
  if (node.daemonUrl !== undefined) {
    delete merged['scheme']
    delete merged['fqdn']
    delete merged['daemonListen']
  }
  nodes[0] = merged
  return { ...fixture, nodes }
}

const copy = <T>(value: T): T => structuredClone(value)

class Simulator implements PanelSim {
  readonly #state: PanelState
  readonly #options: PanelSimOptions
  readonly #recorder = new CallRecorder()
  readonly #failures = new FailureInjector()
  readonly #throttle = new LoginThrottle()
  readonly #objectStore: BackupObjectStore
  readonly #issuer: JwtIssuer
  readonly #routes: Route[]
  readonly #http: Server
  #url = ''
  readonly tokens: TokenIssuer

  constructor(state: PanelState, options: PanelSimOptions) {
    this.#state = state
    this.#options = options
    this.#objectStore =
      options.s3 && 'endpoint' in options.s3
        ? new S3ObjectStore({ log: (line) => this.#log(line), ...options.s3 })
        : new UrlOnlyObjectStore({
            baseUrl: options.s3?.baseUrl ?? 'https://bucket.s3.amazonaws.com',
          })
    this.#issuer = new JwtIssuer({
      issuer: () => this.#state.appUrl,
      version: () => options.panelVersion ?? '1.12',
    })
    this.#routes = [
      ...remoteApiRoutes({
        state,
        objectStore: this.#objectStore,
        partSize: options.partSize ?? DEFAULT_PART_SIZE,
        sftpThrottle: this.#throttle,
        deleteServerOnNode: async (node, uuid) => {
          const response = await this.daemon(node.id).deleteServer(uuid)
          if (response.panelError)
            this.#log('failed to delete server from old node after transfer', {
              node: node.id,
              uuid,
              status: response.status,
            })
        },
        log: (message, fields) => this.#log(message, fields),
      }),
      applicationRoute(state),
      ...adminRoutes(this),
    ]
    this.#http = createHttpApp({
      state,
      routes: () => this.#routes,
      recorder: this.#recorder,
      failures: this.#failures,
      onUnexpectedError: (err) =>
        this.#log('unexpected error while handling a request', {
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        }),
    })
    this.tokens = this.#tokenIssuer()
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject)
      this.#http.listen(port, host, () => {
        this.#http.off('error', reject)
        resolve()
      })
    })
    const address = this.#http.address() as AddressInfo
    const h = address.family === 'IPv6' ? `[${address.address}]` : address.address
    this.#url = `http://${h}:${address.port}`
  }

  get url(): string {
    return this.#url
  }

  get appUrl(): string {
    return this.#state.appUrl
  }

  get applicationApiKey(): string {
    return this.#state.apiKeys[0]!.token
  }

  get calls(): readonly RecordedCall[] {
    return this.#recorder.calls
  }

  callsTo(path: CallMatcher, method?: string): RecordedCall[] {
    return this.#recorder.callsTo(path, method)
  }

  waitForCall(
    predicate: (call: RecordedCall) => boolean,
    timeoutMs?: number,
  ): Promise<RecordedCall> {
    return this.#recorder.waitForCall(predicate, timeoutMs)
  }

  clearCalls(): void {
    this.#recorder.clear()
  }

  failNext(spec: FailureSpec): void {
    this.#failures.add(spec)
  }

  clearFailures(): void {
    this.#failures.clear()
  }

  nodes(): NodeRecord[] {
    return copy(this.#state.nodes)
  }

  node(id = this.#state.nodes[0]!.id): NodeRecord {
    return copy(this.#state.node(id))
  }

  users(): UserRecord[] {
    return copy(this.#state.users)
  }

  eggs(): EggRecord[] {
    return copy(this.#state.eggs)
  }

  servers(): ServerRecord[] {
    return copy(this.#state.servers)
  }

  server(uuid: string): ServerRecord {
    return copy(this.#server(uuid))
  }

  allocations(): AllocationRecord[] {
    return copy(this.#state.allocations)
  }

  backups(serverUuid?: string): BackupRecord[] {
    const serverId = serverUuid === undefined ? undefined : this.#server(serverUuid).id
    return copy(
      this.#state.backups.filter((b) => serverId === undefined || b.serverId === serverId),
    )
  }

  backup(uuid: string): BackupRecord {
    const backup = this.#state.backups.find((b) => b.uuid === uuid.toLowerCase())
    if (!backup) throw new FixtureError(`backup ${uuid} does not exist`)
    return copy(backup)
  }

  transfers(): TransferRecord[] {
    return copy(this.#state.transfers)
  }

  activity(): ActivityRecord[] {
    return copy(this.#state.activity)
  }

  serverConfiguration(uuid: string): ServerConfigurationWire {
    return serverConfiguration(this.#state, this.#server(uuid))
  }

  addNode(node: NodeFixture): NodeRecord {
    return copy(this.#state.addNode(node))
  }

  addUser(user: unknown): UserRecord {
    return copy(this.#state.addUser(user))
  }

  addEgg(egg: unknown): EggRecord {
    return copy(this.#state.addEgg(egg))
  }

  addServer(server: ServerFixture): ServerRecord {
    return copy(this.#state.addServer(server))
  }

  updateServer(uuid: string, patch: ServerPatch): ServerRecord {
    return copy(this.#state.updateServer(this.#server(uuid), patch))
  }

  removeServer(uuid: string): void {
    this.#state.removeServer(this.#server(uuid))
  }

  addBackup(serverUuid: string, backup: BackupFixture): BackupRecord {
    return copy(this.#state.addBackup(this.#server(serverUuid), backup))
  }

  backupObjectUrl(backupUuid: string): Promise<string> {
    const backup = this.#state.findBackup(backupUuid)
    const server = backup && this.#state.serverById(backup.serverId)
    if (!backup || !server) throw new FixtureError(`backup ${backupUuid} does not exist`)
    return this.#objectStore.downloadUrl(`${server.uuid}/${backup.uuid}.tar.gz`)
  }

  daemon(target: DaemonTarget = this.#state.nodes[0]!.id): DaemonClient {
    const base = { verifyTls: this.#options.verifyTls ?? false }
    if (typeof target === 'object') return new DaemonClient({ ...base, ...target })
    if (typeof target === 'string') {
      const node =
        this.#state.nodes.find((n) => connectionAddress(n) === target.replace(/\/+$/, '')) ??
        this.#state.nodes[0]!
      return new DaemonClient({ ...base, url: target, token: node.daemonToken })
    }
    const node = this.#state.node(target)
    return new DaemonClient({ ...base, url: connectionAddress(node), token: node.daemonToken })
  }

  nodeConfiguration(nodeId = this.#state.nodes[0]!.id): NodeConfiguration {
    return nodeConfiguration(this.#state.node(nodeId), this.#state.appUrl)
  }

  nodeConfigurationYaml(nodeId?: number): string {
    return nodeConfigurationYaml(this.nodeConfiguration(nodeId))
  }

  async createServer(
    input: ServerFixture,
    options: { startOnCompletion?: boolean } = {},
  ): Promise<PanelActionResult<ServerRecord | null>> {
    const server = this.#state.addServer({ ...input, status: 'installing' })
    const client = this.daemon(server.nodeId)
    const response = await client.createServer(server.uuid, options)
    if (response.panelError) {
      // The Panel force-deletes the new server, on the daemon too, and re-raises the error.
      await client.deleteServer(server.uuid)
      this.#state.removeServer(server)
      return { response, ok: false, value: null }
    }
    return { response, ok: true, value: copy(server) }
  }

  async deleteServer(uuid: string, options: { force?: boolean } = {}): Promise<PanelActionResult> {
    const server = this.#server(uuid)
    const response = await this.daemon(server.nodeId).deleteServer(server.uuid)
    if (response.panelError && !options.force) return { response, ok: false, value: undefined }
    this.#state.removeServer(server)
    return { response, ok: true, value: undefined }
  }

  suspendServer(uuid: string): Promise<PanelActionResult> {
    return this.#setSuspended(uuid, true)
  }

  unsuspendServer(uuid: string): Promise<PanelActionResult> {
    return this.#setSuspended(uuid, false)
  }

  async #setSuspended(uuid: string, suspended: boolean): Promise<PanelActionResult> {
    const server = this.#server(uuid)
    const before = server.status
    server.status = suspended ? 'suspended' : null
    const response = await this.daemon(server.nodeId).syncServer(server.uuid)
    if (response.panelError) server.status = before
    return { response, ok: response.panelError === null, value: undefined }
  }

  async updateBuild(uuid: string, patch: ServerPatch): Promise<PanelActionResult> {
    const server = this.#state.updateServer(this.#server(uuid), patch)
    const response = await this.daemon(server.nodeId).syncServer(server.uuid)
    if (response.panelError)
      this.#log('failed to sync build change to daemon', {
        uuid: server.uuid,
        status: response.status,
      })
    return { response, ok: true, value: undefined }
  }

  async reinstallServer(uuid: string): Promise<PanelActionResult> {
    const server = this.#server(uuid)
    const before = server.status
    server.status = 'installing'
    const response = await this.daemon(server.nodeId).reinstallServer(server.uuid)
    if (response.panelError) server.status = before
    return { response, ok: response.panelError === null, value: undefined }
  }

  async createBackup(
    uuid: string,
    options: { name?: string; ignore?: string; locked?: boolean } = {},
  ): Promise<PanelActionResult<BackupRecord | null>> {
    const server = this.#server(uuid)
    // The Panel splits the ignore list on PHP_EOL, drops empty lines and joins with "\n".
    const ignored = (options.ignore ?? '').split('\n').filter((line) => line !== '')
    const backup = this.#state.addBackup(server, {
      name: options.name ?? `Backup at ${new Date().toISOString()}`,
      disk: this.#state.backupDriver,
      isLocked: options.locked ?? false,
      ignoredFiles: ignored,
    })
    const response = await this.daemon(server.nodeId).createBackup(server.uuid, {
      adapter: backup.disk,
      uuid: backup.uuid,
      ignore: ignored.join('\n'),
    })
    if (response.panelError) {
      this.#state.backups.splice(this.#state.backups.indexOf(backup), 1)
      return { response, ok: false, value: null }
    }
    return { response, ok: true, value: copy(backup) }
  }

  async restoreBackup(
    uuid: string,
    backupUuid: string,
    options: { truncate?: boolean } = {},
  ): Promise<PanelActionResult> {
    const server = this.#server(uuid)
    const backup = this.#state.findBackup(backupUuid)
    if (!backup || backup.serverId !== server.id)
      throw new FixtureError(`backup ${backupUuid} does not belong to server ${uuid}`)
    const before = server.status
    server.status = 'restoring_backup'
    const response = await this.daemon(server.nodeId).restoreBackup(server.uuid, backup.uuid, {
      adapter: backup.disk,
      truncateDirectory: options.truncate ?? false,
      downloadUrl:
        backup.disk === 's3'
          ? await this.#objectStore.downloadUrl(`${server.uuid}/${backup.uuid}.tar.gz`)
          : '',
    })
    if (response.panelError) server.status = before
    return { response, ok: response.panelError === null, value: undefined }
  }

  async deleteBackup(uuid: string, backupUuid: string): Promise<PanelActionResult> {
    const server = this.#server(uuid)
    const backup = this.#state.findBackup(backupUuid)
    if (!backup || backup.serverId !== server.id)
      throw new FixtureError(`backup ${backupUuid} does not belong to server ${uuid}`)
    const response = await this.daemon(server.nodeId).deleteBackup(server.uuid, backup.uuid)
    if (response.panelError) return { response, ok: false, value: undefined }
    backup.deletedAt = new Date().toISOString()
    return { response, ok: true, value: undefined }
  }

  async transferServer(
    uuid: string,
    options: {
      node: number
      allocation?: { ip: string; port: number }
      additional?: readonly { ip: string; port: number }[]
    },
  ): Promise<PanelActionResult<TransferRecord | null>> {
    const server = this.#server(uuid)
    const target = this.#state.node(options.node)
    if (target.id === server.nodeId)
      throw new FixtureError('a transfer needs a different target node')
    const reserved = [options.allocation, ...(options.additional ?? [])].map((a, i) =>
      i === 0 && a === undefined
        ? this.#state.reserveAllocation(target.id, server.id)
        : this.#state.reserveAllocation(target.id, server.id, a!.ip, a!.port),
    )
    const old = this.#state.allocationsOf(server)
    const transfer: TransferRecord = {
      id: this.#state.transfers.length + 1,
      serverId: server.id,
      oldNode: server.nodeId,
      newNode: target.id,
      oldAllocation: server.allocationId,
      newAllocation: reserved[0]!.id,
      oldAdditionalAllocations: old.filter((a) => a.id !== server.allocationId).map((a) => a.id),
      newAdditionalAllocations: reserved.slice(1).map((a) => a.id),
      successful: null,
      createdAt: new Date().toISOString(),
    }
    this.#state.transfers.push(transfer)
    const token = this.tokens.transfer({ server: server.uuid, targetNode: target.id })
    const response = await this.daemon(server.nodeId).startTransfer(server.uuid, {
      server_id: server.uuid,
      url: token.url,
      token: token.authorization,
      server: { uuid: server.uuid, start_on_completion: false },
    })
    if (response.panelError) {
      this.#state.transfers.splice(this.#state.transfers.indexOf(transfer), 1)
      for (const a of reserved) a.serverId = null
      return { response, ok: false, value: null }
    }
    return { response, ok: true, value: copy(transfer) }
  }

  async revokeUserAccess(uuid: string, user: number | string): Promise<PanelActionResult> {
    const server = this.#server(uuid)
    const response = await this.daemon(server.nodeId).revokeUserJti(
      server.uuid,
      this.#user(user).id,
    )
    return { response, ok: true, value: undefined }
  }

  async close(): Promise<void> {
    this.#http.closeIdleConnections()
    const closed = new Promise<void>((resolve, reject) =>
      this.#http.close((err) => (err ? reject(err) : resolve())),
    )
    // Requests still in flight (a test that gave up waiting) must not keep the process alive.
    setTimeout(() => this.#http.closeAllConnections(), 1000).unref()
    await closed
    this.#objectStore.destroy()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #tokenIssuer(): TokenIssuer {
    const subject = (request: TokenRequest) => {
      const server = this.#server(request.server)
      const user =
        request.user === undefined ? this.#state.user(server.ownerId) : this.#user(request.user)
      if (!user) throw new FixtureError(`server ${server.uuid} has no owner to issue a token for`)
      return { server, user, node: this.#state.node(server.nodeId) }
    }
    const base = (node: NodeRecord) => connectionAddress(node)
    return {
      websocket: (request, options) => {
        const { server, user, node } = subject(request)
        const permissions = request.permissions ?? userPermissions(server, user)
        const issued = this.#issuer.issue(
          'websocket',
          node,
          { server, user, claims: { server_uuid: server.uuid, permissions: [...permissions] } },
          options,
        )
        const socket = `${base(node).replace(/^http/, 'ws')}/api/servers/${server.uuid}/ws`
        return { ...issued, socket }
      },
      fileDownload: (request, options) => {
        const { server, user, node } = subject(request)
        const issued = this.#issuer.issue(
          'file-download',
          node,
          {
            server,
            user,
            claims: { file_path: rawUrlDecode(request.file), server_uuid: server.uuid },
          },
          options,
        )
        return { ...issued, url: `${base(node)}/download/file?token=${issued.token}` }
      },
      fileUpload: (request, options) => {
        const { server, user, node } = subject(request)
        const issued = this.#issuer.issue(
          'file-upload',
          node,
          { server, user, claims: { server_uuid: server.uuid } },
          options,
        )
        return { ...issued, url: `${base(node)}/upload/file?token=${issued.token}` }
      },
      backupDownload: (request, options) => {
        const { server, user, node } = subject(request)
        const issued = this.#issuer.issue(
          'backup-download',
          node,
          { server, user, claims: { backup_uuid: request.backup, server_uuid: server.uuid } },
          options,
        )
        return { ...issued, url: `${base(node)}/download/backup?token=${issued.token}` }
      },
      transfer: (request, options) => {
        const server = this.#server(request.server)
        const node = this.#state.node(request.targetNode)
        const issued = this.#issuer.issue('transfer', node, { server }, options)
        return {
          ...issued,
          url: `${base(node)}/api/transfers`,
          authorization: `Bearer ${issued.token}`,
        }
      },
    }
  }

  /** Internal access for the admin API. */
  get state(): PanelState {
    return this.#state
  }

  #server(uuid: string): ServerRecord {
    const server = this.#state.findServer(uuid)
    if (!server) throw new FixtureError(`server ${uuid} does not exist`)
    return server
  }

  #user(ref: number | string): UserRecord {
    const user = this.#state.users.find((u) => u.id === ref || u.uuid === ref || u.username === ref)
    if (!user) throw new FixtureError(`user ${String(ref)} does not exist`)
    return user
  }

  #log(message: string, fields?: Record<string, unknown>): void {
    if (this.#options.log) this.#options.log(message, fields)
    else process.stderr.write(`panel-sim: ${message} ${fields ? JSON.stringify(fields) : ''}\n`)
  }
}

/** `GET /api/application/nodes/{id}/configuration`, used by `wings configure`. */
function applicationRoute(state: PanelState): Route {
  return {
    methods: ['GET'],
    pattern: /^\/api\/application\/nodes\/(?<id>[^/]+)\/configuration$/,
    auth: 'application',
    recorded: true,
    handle: (request) => {
      const key = authenticateApplication(state, request.headers)
      if (!key.nodesRead)
        throw new PanelError(403, 'AccessDeniedHttpException', 'This action is unauthorized.')
      const node = state.nodes.find((n) => String(n.id) === request.params['id'])
      if (!node) throw PanelErrors.resourceNotFound()
      return { status: 200, json: nodeConfiguration(node, state.appUrl) }
    },
  }
}
