import { chown, mkdir, rm } from 'node:fs/promises'
import path from 'node:path'

import { serverConfigurationToWire } from '@node/panel-client'
import { FileStateStore, ServerManager, type PanelGateway, type Server } from '@node/server-state'
import type { Logger, TokenVerifier } from '@node/shared-kernel'

import type { ServersApi } from '../http/routes/servers.routes.js'
import { utilizationWire } from '../wire/utilization-wire.js'
import type { LiveConfig } from './live-config.js'

/** What other capabilities do when a server joins or leaves this node (power, files, websockets). */
export interface ServerLifecycleHooks {
  /** Runs before the server is added; a rejection skips the server (logged). */
  prepare?(server: Server): Promise<void> | void
  /** Runs after the Panel's configuration was re-applied (`sync`, a repeated create). */
  synced?(server: Server): Promise<void> | void
  /** Runs on `DELETE /api/servers/:server` after the server is suspended and its context cancelled. */
  destroy?(server: Server): Promise<void> | void
  /** Runs once a server created by `POST /api/servers` joined (its install starts here). */
  created?(server: Server, startOnCompletion: boolean): void
  /** Runs after `POST /api/deauthorize-user` denied a user's tokens on these servers. */
  deauthorized?(servers: readonly Server[]): void
}

interface PendingCreate {
  readonly cancel: AbortController
  /** Settles (never rejects) once the create ended, undone when it was cancelled. */
  readonly settled: Promise<void>
}

const noop = (): void => undefined

export interface ServerServiceOptions {
  readonly live: LiveConfig
  readonly logger: Logger
  readonly panel: PanelGateway
  readonly tokens: TokenVerifier
  readonly dataDirectory: string
  readonly statesFile: string
  readonly hooks?: readonly ServerLifecycleHooks[]
  /** The server's current disk usage for the details view (the jail's cached figure). */
  readonly diskBytes?: (server: Server) => number
}

/**
 * The daemon's use cases on servers, as the HTTP routes call them: boot, create, sync, delete,
 * token deny lists and the details view. Later capabilities hang off the same servers via hooks.
 */
export class ServerService implements ServersApi<Server> {
  readonly #options: ServerServiceOptions
  readonly #manager: ServerManager
  readonly #hooks: ServerLifecycleHooks[]
  /** Creates waiting for the Panel's configuration; a DELETE of their uuid cancels them. */
  readonly #creating = new Map<string, PendingCreate>()
  readonly #deleting = new Map<string, Promise<void>>()
  #stopPersisting: () => void = () => undefined

  constructor(options: ServerServiceOptions) {
    this.#options = options
    this.#hooks = [...(options.hooks ?? [])]
    this.#manager = new ServerManager({
      panel: options.panel,
      logger: options.logger,
      consoleLines: Math.max(options.live.current().system.websocket_log_count, 150),
      stateStore: new FileStateStore({ file: options.statesFile, logger: options.logger }),
      initServer: (server) => this.#prepare(server),
    })
  }

  /** Adds hooks before boot (the composition root registers capabilities in order). */
  addHooks(hooks: ServerLifecycleHooks): void {
    this.#hooks.push(hooks)
  }

  /** Loads every server of this node from the Panel (behaviour §1 step 8) and their saved states. */
  async boot(): Promise<ReadonlyMap<string, string>> {
    const live = this.#options.live.current()
    const report = await this.#manager.boot({ perPage: live.remote_query.boot_servers_per_page })
    const saved = await this.#manager.loadStates()
    this.#options.logger.info('loaded servers from the Panel', {
      count: report.loaded,
      skipped: report.skipped.length,
      saved_states: saved.size,
    })
    this.#stopPersisting = this.#manager.persistStatesEvery()
    return saved
  }

  /** Work that may run once the API listens: the Panel is told to clear stale statuses. */
  afterBoot(): void {
    this.#options.panel.resetServerStates().catch((err: unknown) => {
      this.#options.logger.error('failed to reset server states on the Panel', { err })
    })
  }

  async shutdown(): Promise<void> {
    this.#stopPersisting()
    await this.#manager.saveStates().catch((err: unknown) => {
      this.#options.logger.error('failed to save server states', { err })
    })
  }

  all(): readonly Server[] {
    return this.#manager.all()
  }

  get(uuid: string): Server | undefined {
    return this.#manager.get(uuid)
  }

  details(server: Server): unknown {
    const config = this.#options.live.current()
    if (this.#options.diskBytes) server.setDiskBytes(this.#options.diskBytes(server))
    return {
      state: server.state,
      is_suspended: server.isSuspended,
      utilization: utilizationWire(server.resourceUsage()),
      configuration: serverConfigurationToWire(server.configuration, {
        crashDetectionEnabled: config.system.crash_detection.enabled,
      }),
    }
  }

  /**
   * http-api §5.4. Cancelled when `signal` aborts (the Panel's request went away) or the uuid is
   * deleted meanwhile (`cancelCreate`): a server whose create was cancelled is removed again with
   * everything made for it, and the call rejects.
   */
  async create(uuid: string, startOnCompletion: boolean, signal?: AbortSignal): Promise<void> {
    if (this.#manager.get(uuid) !== undefined) {
      // docs/compatibility.md: a repeated create re-applies the configuration, never duplicates.
      await this.sync(this.#manager.get(uuid) as Server)
      return
    }
    const cancel = new AbortController()
    const cancelled = signal ? AbortSignal.any([signal, cancel.signal]) : cancel.signal
    const work = this.#createCancellable(uuid, startOnCompletion, cancelled)
    this.#creating.set(uuid, { cancel, settled: work.then(noop, noop) })
    try {
      await work
    } finally {
      this.#creating.delete(uuid)
    }
  }

  /**
   * A DELETE of a server still being created: cancels that create and resolves once it is undone
   * (true), or resolves false at once when no create of `uuid` is under way.
   */
  async cancelCreate(uuid: string): Promise<boolean> {
    const pending = this.#creating.get(uuid)
    if (pending === undefined) return false
    pending.cancel.abort(new Error('the server was deleted while it was being created'))
    await pending.settled
    return true
  }

  async #createCancellable(
    uuid: string,
    startOnCompletion: boolean,
    signal: AbortSignal,
  ): Promise<void> {
    let server: Server
    try {
      server = await this.#manager.createServer(uuid, signal)
    } catch (err) {
      // http-api §5.4: a Panel fetch or init failure, a Panel 404 included, is the generic 500.
      throw new Error(`failed to create server ${uuid} from the Panel`, { cause: err })
    }
    if (signal.aborted) {
      // Joined just as it was cancelled: it leaves again with whatever was made for it.
      await this.delete(server)
      throw new Error(`the create of server ${uuid} was cancelled`, { cause: signal.reason })
    }
    for (const hook of this.#hooks) hook.created?.(server, startOnCompletion)
  }

  async sync(server: Server): Promise<void> {
    try {
      await this.#manager.syncServer(server.uuid)
      for (const hook of this.#hooks) await hook.synced?.(server)
    } catch (err) {
      // http-api §6.8: every sync failure, a Panel 404 included, is the generic 500.
      throw new Error(`failed to sync server ${server.uuid} with the Panel`, { cause: err })
    }
  }

  /**
   * http-api §6.2, in the reference's order. Resolves once the server's work in flight has ended
   * (bounded) and its runtime is gone; its files are removed in the background after that, as the
   * reference does. A second DELETE of the same server waits for the first.
   */
  delete(server: Server): Promise<void> {
    const running = this.#deleting.get(server.uuid)
    if (running !== undefined) return running
    const deleting = this.#delete(server).finally(() => this.#deleting.delete(server.uuid))
    this.#deleting.set(server.uuid, deleting)
    return deleting
  }

  async #delete(server: Server): Promise<void> {
    server.forceSuspended()
    if (server.isTransferring) server.events.publish('transfer status', 'completed')
    server.events.publish('deleted', undefined)
    server.cancel()
    for (const hook of this.#hooks) await hook.destroy?.(server)
    rm(this.#rootOf(server.uuid), { recursive: true, force: true }).catch((err: unknown) => {
      this.#options.logger.error('failed to remove server files', { server_id: server.uuid, err })
    })
    this.#manager.remove(server.uuid)
  }

  denyTokens(_server: Server, jtis: readonly string[]): void {
    this.#options.tokens.denyJtis(jtis)
  }

  deauthorizeUser(user: string, servers: readonly Server[] | 'all'): void {
    this.#options.tokens.deauthorizeUser(
      user,
      servers === 'all' ? 'all' : servers.map((server) => server.uuid),
    )
    const affected = servers === 'all' ? this.all() : servers
    for (const hook of this.#hooks) hook.deauthorized?.(affected)
  }

  async #prepare(server: Server): Promise<void> {
    const root = this.#rootOf(server.uuid)
    // A directory made now belongs to the system user the server runs as (behaviour §1 step 12).
    const created = await mkdir(root, { recursive: true, mode: 0o755 })
    const { uid, gid } = this.#options.live.current().system.user
    if (created !== undefined && uid > 0) await chown(root, uid, gid)
    for (const hook of this.#hooks) await hook.prepare?.(server)
  }

  rootOf(server: Server): string {
    return this.#rootOf(server.uuid)
  }

  #rootOf(uuid: string): string {
    return path.join(this.#options.dataDirectory, uuid)
  }
}
