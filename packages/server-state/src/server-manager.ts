import { availableParallelism } from 'node:os'

import {
  ConflictError,
  NotFoundError,
  nullLogger,
  systemClock,
  type Clock,
  type Logger,
} from '@node/shared-kernel'

import type { ServerConfiguration } from './model/server-configuration.js'
import type { ServerState } from './model/server-state.js'
import { InvalidConfigurationError } from './model/validate-server-configuration.js'
import type { PanelGateway } from './ports/panel-gateway.js'
import type { StateStore } from './ports/state-store.js'
import { Server } from './server.js'

/** The message of http-api §2.4 for a server this node does not have. */
export const SERVER_NOT_FOUND = 'The requested resource does not exist on this instance.'

/** How often Wings persists states (behaviour §1 step 11). */
export const DEFAULT_STATE_PERSIST_INTERVAL_MS = 60_000

export interface ServerManagerOptions {
  readonly panel: PanelGateway
  readonly logger?: Logger
  /**
   * Creates the per-server resources (data directory, environment) of a server about to join the
   * manager, at boot and in `createServer`. A rejection keeps the server out: at boot it is
   * skipped and logged, in `createServer` the rejection propagates.
   */
  readonly initServer?: (server: Server) => Promise<void> | void
  /**
   * Undoes `initServer` for a server it accepted but that the manager then left out (the Panel
   * listed its uuid twice); the server is cancelled right after. Never called for a removal.
   */
  readonly releaseServer?: (server: Server) => Promise<void> | void
  /** Servers initialised in parallel at boot (default: the host's available parallelism). */
  readonly bootConcurrency?: number
  /** Console lines kept per server. */
  readonly consoleLines?: number
  /** Where states survive restarts; needed by `loadStates`, `saveStates`, `persistStatesEvery`. */
  readonly stateStore?: StateStore
  readonly clock?: Clock
}

export interface BootOptions {
  /** `remote_query.boot_servers_per_page`. */
  readonly perPage: number
  readonly signal?: AbortSignal
}

export interface BootReport {
  readonly loaded: number
  /** Entries left out, with the reason (also logged). */
  readonly skipped: readonly { readonly uuid: string; readonly error: unknown }[]
}

/**
 * Every server on this node, in load order. Boot loads them from the Panel; `createServer` and
 * `syncServer` fetch one configuration; `add`/`remove` keep the collection. Removing a server
 * does not cancel it: the delete flow publishes `deleted` and calls `server.cancel()`.
 */
export class ServerManager {
  readonly #panel: PanelGateway
  readonly #logger: Logger
  readonly #initServer: (server: Server) => Promise<void> | void
  readonly #releaseServer: (server: Server) => Promise<void> | void
  readonly #bootConcurrency: number
  readonly #consoleLines: number | undefined
  readonly #stateStore: StateStore | undefined
  readonly #clock: Clock
  readonly #servers = new Map<string, Server>()
  readonly #creating = new Set<string>()
  readonly #syncs = new Map<Server, Promise<unknown>>()
  #booted = false

  constructor(options: ServerManagerOptions) {
    this.#panel = options.panel
    this.#logger = options.logger ?? nullLogger
    this.#initServer = options.initServer ?? (() => undefined)
    this.#releaseServer = options.releaseServer ?? (() => undefined)
    const concurrency = options.bootConcurrency ?? availableParallelism()
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`boot concurrency must be a positive integer, got ${concurrency}`)
    }
    this.#bootConcurrency = concurrency
    this.#consoleLines = options.consoleLines
    this.#stateStore = options.stateStore
    this.#clock = options.clock ?? systemClock
  }

  /**
   * Loads every server of this node from the Panel (behaviour §1 step 8). Each entry is
   * initialised on its own: a malformed one, a duplicate uuid or a failing `initServer` is
   * skipped and logged. Rejects only when the list itself cannot be fetched; runs once.
   */
  async boot(options: BootOptions): Promise<BootReport> {
    if (this.#booted) throw new Error('the server manager has already booted')
    this.#booted = true
    const entries = await this.#panel.listServers({
      perPage: options.perPage,
      ...(options.signal ? { signal: options.signal } : {}),
    })

    const skipped: { uuid: string; error: unknown }[] = []
    const prepared = new Array<Server | undefined>(entries.length)
    let nextIndex = 0
    const worker = async (): Promise<void> => {
      while (nextIndex < entries.length) {
        const index = nextIndex++
        const entry = entries[index]
        if (!entry) continue
        try {
          if ('error' in entry) throw entry.error
          prepared[index] = await this.#prepare(entry.configuration)
        } catch (error) {
          skipped.push({ uuid: entry.uuid, error })
          this.#logger.error('failed to load server, skipping it', {
            server_id: entry.uuid,
            err: error,
          })
        }
      }
    }
    const workers = Math.min(this.#bootConcurrency, entries.length)
    await Promise.all(Array.from({ length: workers }, worker))

    let loaded = 0
    for (const server of prepared) {
      if (!server) continue
      if (this.#servers.has(server.uuid)) {
        const error = new Error(`server ${server.uuid} is listed twice by the Panel`)
        skipped.push({ uuid: server.uuid, error })
        this.#logger.error('failed to load server, skipping it', {
          server_id: server.uuid,
          err: error,
        })
        await this.#release(server)
        continue
      }
      this.#servers.set(server.uuid, server)
      loaded++
    }
    this.#logger.info('finished loading servers', { count: loaded, skipped: skipped.length })
    return { loaded, skipped }
  }

  /** Adds a server built elsewhere (a transfer's destination). ConflictError when the uuid is taken. */
  add(server: Server): void {
    if (this.#servers.has(server.uuid)) {
      throw new ConflictError('A server with that identifier already exists on this node.')
    }
    this.#servers.set(server.uuid, server)
  }

  get(uuid: string): Server | undefined {
    return this.#servers.get(uuid)
  }

  /** Forgets the server and returns it (undefined when unknown); does not cancel it. */
  remove(uuid: string): Server | undefined {
    const server = this.#servers.get(uuid)
    if (server) this.#servers.delete(uuid)
    return server
  }

  /** Every server, in load order (a snapshot). */
  all(): Server[] {
    return [...this.#servers.values()]
  }

  /**
   * Fetches the configuration of `uuid` from the Panel, builds the server, runs `initServer` and
   * adds it (http-api §5.4). ConflictError when the uuid exists or is being created; the Panel's
   * NotFoundError and every other failure propagate, leaving nothing behind.
   */
  async createServer(uuid: string, signal?: AbortSignal): Promise<Server> {
    if (this.#servers.has(uuid) || this.#creating.has(uuid)) {
      throw new ConflictError('A server with that identifier already exists on this node.')
    }
    this.#creating.add(uuid)
    try {
      const configuration = await this.#panel.getServerConfiguration(uuid, signal)
      const server = await this.#prepare(configuration, uuid)
      this.#servers.set(uuid, server)
      return server
    } finally {
      this.#creating.delete(uuid)
    }
  }

  /**
   * Refetches the configuration of `uuid` from the Panel and applies it (http-api §6.8). Syncs of
   * one server run one after another, so the last one started wins. NotFoundError when the
   * server is not (or no longer) on this node; Panel and validation errors propagate.
   */
  syncServer(uuid: string, signal?: AbortSignal): Promise<Server> {
    const server = this.#servers.get(uuid)
    if (!server) return Promise.reject(new NotFoundError(SERVER_NOT_FOUND))
    const previous = this.#syncs.get(server) ?? Promise.resolve()
    const run = previous.then(() => this.#sync(server, signal))
    const settled = run.catch(() => undefined)
    this.#syncs.set(server, settled)
    void settled.then(() => {
      if (this.#syncs.get(server) === settled) this.#syncs.delete(server)
    })
    return run
  }

  /**
   * The saved states of the servers loaded now (behaviour §1 step 11); states of unknown uuids are
   * dropped. Never rejects on bad content (the store reports it).
   */
  async loadStates(): Promise<Map<string, ServerState>> {
    const saved = await this.#requireStateStore().load()
    const states = new Map<string, ServerState>()
    for (const uuid of this.#servers.keys()) {
      const state = Object.hasOwn(saved, uuid) ? saved[uuid] : undefined
      if (state) states.set(uuid, state)
    }
    return states
  }

  /** Saves the current state of every loaded server, and nothing else. */
  async saveStates(): Promise<void> {
    const states = Object.fromEntries(this.all().map((server) => [server.uuid, server.state]))
    await this.#requireStateStore().save(states)
  }

  /**
   * Saves the states every `intervalMs` (default 60 s) through the Clock until the returned
   * function is called; a failed save is logged and retried at the next tick.
   */
  persistStatesEvery(intervalMs: number = DEFAULT_STATE_PERSIST_INTERVAL_MS): () => void {
    this.#requireStateStore()
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new RangeError(`state persist interval must be positive, got ${intervalMs}`)
    }
    let stopped = false
    let cancelTimer = (): void => undefined
    const schedule = (): void => {
      cancelTimer = this.#clock.setTimeout(tick, intervalMs)
    }
    const tick = (): void => {
      this.saveStates()
        .catch((err: unknown) => this.#logger.error('failed to save server states', { err }))
        .finally(() => {
          if (!stopped) schedule()
        })
    }
    schedule()
    return () => {
      stopped = true
      cancelTimer()
    }
  }

  async #sync(server: Server, signal: AbortSignal | undefined): Promise<Server> {
    if (this.#servers.get(server.uuid) !== server || server.isCancelled) {
      throw new NotFoundError(SERVER_NOT_FOUND)
    }
    const bound = signal ? AbortSignal.any([signal, server.signal]) : server.signal
    const configuration = await this.#panel.getServerConfiguration(server.uuid, bound)
    // The server may have been deleted while the Panel answered: its configuration is moot.
    if (this.#servers.get(server.uuid) !== server || server.isCancelled) {
      throw new NotFoundError(SERVER_NOT_FOUND)
    }
    server.applyConfiguration(configuration)
    return server
  }

  async #prepare(configuration: ServerConfiguration, expectedUuid?: string): Promise<Server> {
    const server = new Server({
      configuration,
      logger: this.#logger,
      ...(this.#consoleLines === undefined ? {} : { consoleLines: this.#consoleLines }),
    })
    if (expectedUuid !== undefined && server.uuid !== expectedUuid) {
      server.cancel()
      throw new InvalidConfigurationError([
        `settings.uuid must be ${expectedUuid}, got ${server.uuid}`,
      ])
    }
    try {
      await this.#initServer(server)
    } catch (err) {
      server.cancel()
      throw err
    }
    return server
  }

  async #release(server: Server): Promise<void> {
    try {
      await this.#releaseServer(server)
    } catch (err) {
      this.#logger.error('failed to release a server left out', { server_id: server.uuid, err })
    } finally {
      server.cancel()
    }
  }

  #requireStateStore(): StateStore {
    if (!this.#stateStore) throw new Error('the server manager has no state store')
    return this.#stateStore
  }
}
