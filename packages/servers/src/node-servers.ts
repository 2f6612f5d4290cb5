import { chown, mkdir, rm } from 'node:fs/promises'
import path from 'node:path'

import { Jail, type JailMode, type VolumeReserve } from '@node/filesystem-jail'
import { ServerRuntime } from '@node/power'
import {
  environmentSettingsOf,
  ServerManager,
  type EnvironmentFactory,
  type EnvironmentSettings,
  type PanelGateway,
  type Server,
  type ServerState,
  type StateStore,
} from '@node/server-state'
import { systemClock, type Clock, type Logger } from '@node/shared-kernel'

import { watchDiskLimit } from './disk-limiter.js'
import { HostedServer } from './hosted-server.js'
import { ServerLifecycleEvents } from './server-lifecycle-events.js'
import type { ServersSettings } from './servers-settings.js'
import { startPreflight } from './start-preflight.js'

const MIB = 1024 * 1024
/** Stop grace of a server suspended while running (behaviour §3.4). */
const SUSPEND_STOP_MS = 60_000

export interface NodeServersOptions {
  readonly panel: PanelGateway
  readonly environments: EnvironmentFactory
  /** Where the servers' states survive a restart (`states.json`). */
  readonly stateStore: StateStore
  /** Each server's files live in `<dataDirectory>/<uuid>`. */
  readonly dataDirectory: string
  /** The node's free-space reserve on the servers' volume, shared by every jail. */
  readonly reserve?: VolumeReserve
  /** Forced path resolution of the jails (tests); default: the start-up probe picks. */
  readonly jailMode?: JailMode
  /** Console lines kept per server. */
  readonly consoleLines?: number
  readonly settings: () => ServersSettings
  readonly logger: Logger
  readonly clock?: Clock
}

/**
 * The servers this node hosts, each one a HostedServer: made when the server joins (at boot or
 * by a create) and removed when it is deleted, both here and nowhere else. Holds what every use
 * case shares: loading from the Panel, the sync, the saved states, and the lifecycle `events`
 * other capabilities listen to.
 */
export class NodeServers {
  readonly events: ServerLifecycleEvents
  readonly #options: NodeServersOptions
  readonly #clock: Clock
  readonly #manager: ServerManager
  readonly #hosted = new Map<Server, HostedServer>()
  #stopPersisting: () => void = () => undefined

  constructor(options: NodeServersOptions) {
    this.#options = options
    this.#clock = options.clock ?? systemClock
    this.events = new ServerLifecycleEvents(options.logger)
    this.#manager = new ServerManager({
      panel: options.panel,
      logger: options.logger,
      clock: this.#clock,
      stateStore: options.stateStore,
      ...(options.consoleLines === undefined ? {} : { consoleLines: options.consoleLines }),
      initServer: (server) => this.#host(server),
      releaseServer: (server) => this.#release(server),
    })
  }

  /** The server `uuid` (exact match), or undefined when this node does not host it. */
  get(uuid: string): HostedServer | undefined {
    const server = this.#manager.get(uuid)
    return server === undefined ? undefined : this.#hosted.get(server)
  }

  /** The hosted server of `server`; throws for one this node does not host. */
  of(server: Server): HostedServer {
    const hosted = this.#hosted.get(server)
    if (hosted === undefined) throw new Error(`server ${server.uuid} is not hosted on this node`)
    return hosted
  }

  /** Every hosted server, in load order (a snapshot). */
  all(): HostedServer[] {
    return this.#manager.all().flatMap((server) => this.#hosted.get(server) ?? [])
  }

  /** Where the server's files are on the host. */
  rootOf(uuid: string): string {
    return path.join(this.#options.dataDirectory, uuid)
  }

  /**
   * Loads every server of this node from the Panel (behaviour §1 step 8) and resolves with their
   * saved states; from then on the states are saved every minute. Rejects only when the Panel's
   * list cannot be fetched; a server that cannot be hosted is skipped and logged.
   */
  async load(): Promise<ReadonlyMap<string, ServerState>> {
    const perPage = this.#options.settings().bootServersPerPage
    const report = await this.#manager.boot({ perPage })
    const saved = await this.#manager.loadStates()
    this.#options.logger.info('loaded servers from the Panel', {
      count: report.loaded,
      skipped: report.skipped.length,
      saved_states: saved.size,
    })
    this.#stopPersisting = this.#manager.persistStatesEvery()
    return saved
  }

  /** Once the API listens: the Panel is told to clear the statuses this node left (installing…). */
  reportReady(): void {
    this.#options.panel.resetServerStates().catch((err: unknown) => {
      this.#options.logger.error('failed to reset server states on the Panel', { err })
    })
  }

  /**
   * Fetches the configuration of `uuid` from the Panel and hosts the server (http-api §5.4).
   * ConflictError when it is hosted or joining already; Panel and validation errors propagate,
   * leaving nothing behind.
   */
  async join(uuid: string, signal?: AbortSignal): Promise<HostedServer> {
    return this.of(await this.#manager.createServer(uuid, signal))
  }

  /**
   * Re-fetches the server's configuration from the Panel and applies it (http-api §6.8): the jail
   * and the runtime take the new limits in place; a suspended server loses its users' access
   * (`suspended`) and, when running, is stopped. NotFoundError once it is not hosted any more.
   */
  async sync(hosted: HostedServer, signal?: AbortSignal): Promise<void> {
    await this.#manager.syncServer(hosted.uuid, signal)
    await hosted.applyConfiguration(this.#environmentSettings(hosted.server))
    const { server, runtime } = hosted
    if (!server.isSuspended) return
    this.events.emit('suspended', hosted)
    if (server.state !== 'offline') {
      hosted.runInBackground('stop a suspended server', () =>
        runtime.stopWithin(SUSPEND_STOP_MS, true),
      )
    }
  }

  /**
   * The server leaves the node (http-api §6.2 from step 5; the caller cancelled it): `deleted` is
   * emitted so that capabilities stop their work on it, its runtime and jail go (its work in flight
   * is waited for, at most `settleMs`), and its files are removed in the background.
   */
  async remove(hosted: HostedServer, settleMs: number): Promise<void> {
    this.events.emit('deleted', hosted)
    if (!(await hosted.destroy(settleMs))) {
      hosted.server.logger.warn(
        'a deleted server still has work in flight; it is cleaned up when it ends',
      )
    }
    const root = this.rootOf(hosted.uuid)
    rm(root, { recursive: true, force: true }).catch((err: unknown) => {
      this.#options.logger.error('failed to remove server files', { server_id: hosted.uuid, err })
    })
    this.#manager.remove(hosted.uuid)
    this.#hosted.delete(hosted.server)
  }

  /**
   * The daemon stops: the states are saved, and every server is let go without touching its
   * process (containers run on and are adopted at the next boot).
   */
  async close(): Promise<void> {
    this.#stopPersisting()
    await this.#manager.saveStates().catch((err: unknown) => {
      this.#options.logger.error('failed to save server states', { err })
    })
    const all = [...this.#hosted.values()]
    this.#hosted.clear()
    await Promise.all(all.map((hosted) => hosted.detach()))
  }

  /** The aggregate of a server about to join: its directory, jail, runtime and disk limiter. */
  async #host(server: Server): Promise<void> {
    const root = this.rootOf(server.uuid)
    const settings = this.#options.settings()
    const { uid, gid } = settings.user
    // A directory made now belongs to the system user the server runs as (behaviour §1 step 12).
    const created = await mkdir(root, { recursive: true, mode: 0o755 })
    if (created !== undefined && uid > 0) await chown(root, uid, gid)
    const { build, egg } = server.configuration.settings
    const jail = await Jail.open(root, {
      ...(this.#options.jailMode ? { mode: this.#options.jailMode } : {}),
      denylist: egg.fileDenylist,
      diskLimitBytes: build.diskSpace * MIB,
      diskCheckIntervalMs: settings.diskCheckIntervalMs,
      ...(this.#options.reserve ? { reserve: this.#options.reserve } : {}),
      // Files the daemon writes belong to the user the game server runs as.
      ...(uid > 0 ? { owner: { uid, gid } } : {}),
      logger: this.#options.logger.child({ server_id: server.uuid, component: 'jail' }),
    })
    try {
      const environment = this.#options.environments.forServer(
        server.uuid,
        this.#environmentSettings(server),
      )
      const runtime: ServerRuntime = new ServerRuntime({
        server,
        environment,
        clock: this.#clock,
        settings: () => this.#options.settings().power,
        preflight: startPreflight({
          server,
          jail,
          root,
          notice: (text) => runtime.notice(text),
          sync: () => this.sync(this.of(server)),
          environmentSettings: () => this.#environmentSettings(server),
          settings: this.#options.settings,
        }),
      })
      const hosted = new HostedServer({ server, runtime, jail, clock: this.#clock })
      hosted.onLeave(watchDiskLimit(runtime, jail))
      this.#hosted.set(server, hosted)
    } catch (err) {
      await jail.close()
      throw err
    }
  }

  /** Undoes #host for a server the manager left out (listed twice by the Panel). */
  async #release(server: Server): Promise<void> {
    const hosted = this.#hosted.get(server)
    this.#hosted.delete(server)
    await hosted?.detach()
  }

  #environmentSettings(server: Server): EnvironmentSettings {
    return environmentSettingsOf(server.configuration, {
      timezone: this.#options.settings().timezone,
    })
  }
}
