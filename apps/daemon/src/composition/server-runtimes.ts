import { configValueResolverFrom, rewriteConfigFiles, type ConfigFileIo } from '@node/config-files'
import { jailFaultOf, type Jail } from '@node/filesystem-jail'
import type { Installer } from '@node/installer'
import { NOTICES, ServerRuntime, type PowerAction, type PowerSettings } from '@node/power'
import {
  environmentSettingsOf,
  type Environment,
  type EnvironmentFactory,
  type EnvironmentSettings,
  type Server,
  type ServerState,
} from '@node/server-state'
import { isDaemonError, QuotaExceededError, type Logger } from '@node/shared-kernel'

import type { PowerApi } from '../http/routes/power.routes.js'
import { watchDiskLimit } from './disk-limiter.js'
import { chownTree } from './fix-permissions.js'
import type { LiveConfig } from './live-config.js'
import type { ServerJails } from './server-jails.js'
import type { ServerLifecycleHooks } from './server-service.js'

export interface ServerRuntimesOptions {
  readonly live: LiveConfig
  readonly logger: Logger
  readonly factory: EnvironmentFactory
  readonly jails: ServerJails
  readonly installer: Installer
  /** `<data>/<uuid>`, for the permission fix. */
  readonly rootOf: (server: Server) => string
  /** Re-fetches a server's configuration from the Panel (ServerService.sync). */
  readonly sync: (server: Server) => Promise<void>
}

/** Lock wait of the start after an install (behaviour §5 step 4). */
const START_AFTER_INSTALL_WAIT_MS = 30_000
/** Stop grace of a reinstall, and of a server suspended while running (behaviour §3.4). */
const REINSTALL_STOP_MS = 10_000
const SUSPEND_STOP_MS = 60_000
/** Boot reconcile runs this many servers at once (behaviour §1 step 12). */
const RECONCILE_CONCURRENCY = 4
/**
 * How long a delete waits for the server's work in flight (create, install, power) to end; that
 * work was cancelled with the server, so it ends at its next step. Whatever it makes after this
 * wait is removed when it ends.
 */
const DELETE_SETTLE_MS = 15_000

/**
 * The runtime of every server on this node: its environment and power state machine, made when
 * the server joins, reconfigured on sync, destroyed on delete. Implements the power routes.
 */
export class ServerRuntimes implements ServerLifecycleHooks, PowerApi<Server> {
  readonly #options: ServerRuntimesOptions
  readonly #runtimes = new Map<string, ServerRuntime>()
  readonly #unwatchDisk = new Map<string, () => void>()
  /** Background work per server (install, power…), so that a delete can wait for it. */
  readonly #work = new Map<string, Set<Promise<void>>>()
  // Read on every console line: derived once per configuration object, not per call.
  #derivedFrom: unknown
  #derived: PowerSettings | undefined

  constructor(options: ServerRuntimesOptions) {
    this.#options = options
  }

  of(server: Server): ServerRuntime {
    const runtime = this.#runtimes.get(server.uuid)
    if (runtime === undefined) throw new Error(`no runtime for server ${server.uuid}`)
    return runtime
  }

  get(uuid: string): Server | undefined {
    return this.#runtimes.get(uuid)?.server
  }

  prepare(server: Server): void {
    const environment = this.#options.factory.forServer(server.uuid, this.#settingsOf(server))
    this.#forget(server.uuid)
    const runtime = new ServerRuntime({
      server,
      environment,
      settings: () => this.#powerSettings(),
      preflight: {
        sync: () => this.#syncForStart(server),
        environmentSettings: () => this.#settingsOf(server),
        checkDisk: () => this.#checkDisk(server),
        rewriteConfigFiles: () => this.#rewriteConfigFiles(server),
        ...(this.#options.live.current().system.check_permissions_on_boot
          ? { fixPermissions: () => this.#fixPermissions(server) }
          : {}),
      },
    })
    this.#runtimes.set(server.uuid, runtime)
    this.#unwatchDisk.set(
      server.uuid,
      watchDiskLimit(runtime, () => this.#options.jails.find(server)),
    )
  }

  /** http-api §6.8: new limits apply in place; a server suspended while running is stopped. */
  async synced(server: Server): Promise<void> {
    const runtime = this.of(server)
    runtime.environment.configure(this.#settingsOf(server))
    await runtime.environment.updateResources()
    if (server.isSuspended && server.state !== 'offline') {
      this.#background(server, 'stop a suspended server', () =>
        runtime.stopWithin(SUSPEND_STOP_MS, true),
      )
    }
  }

  /**
   * http-api §6.2 step 5: the runtime goes, running or not. The server was cancelled before, so
   * its work in flight (a create, an install, a start) stops at its next step; the process is
   * removed first, which also ends any wait on it, then that work is waited for, and whatever it
   * made meanwhile is removed too.
   */
  async destroy(server: Server): Promise<void> {
    const runtime = this.#runtimes.get(server.uuid)
    this.#unwatchDisk.get(server.uuid)?.()
    this.#unwatchDisk.delete(server.uuid)
    this.#runtimes.delete(server.uuid)
    await runtime?.destroy()
    const work = [...(this.#work.get(server.uuid) ?? [])]
    if (work.length > 0 && !(await settleWithin(work, DELETE_SETTLE_MS))) {
      server.logger.warn('a deleted server still has work in flight; it is cleaned up when it ends')
    }
  }

  /** POST /api/servers in the background: runtime, install, then start when asked. */
  created(server: Server, startOnCompletion: boolean): void {
    this.#background(server, 'install a new server', async () => {
      await this.of(server).environment.create(server.signal)
      const successful = await this.#options.installer.install(server, { reinstall: false })
      if (successful && startOnCompletion) {
        await this.of(server).power('start', { waitMs: START_AFTER_INSTALL_WAIT_MS })
      }
    })
  }

  /** Boot (behaviour §1 step 12): adopt running processes, restart those that should run. */
  async reconcileAll(
    servers: readonly Server[],
    saved: ReadonlyMap<string, string>,
  ): Promise<void> {
    const queue = [...servers]
    const worker = async (): Promise<void> => {
      for (let server = queue.shift(); server; server = queue.shift()) {
        await this.of(server)
          .reconcile(saved.get(server.uuid) as ServerState | undefined)
          .catch((err: unknown) => {
            server.logger.error('failed to restore the server state at boot', { err })
          })
      }
    }
    await Promise.all(Array.from({ length: RECONCILE_CONCURRENCY }, worker))
  }

  /** Daemon shutdown: stop listening; the processes run on and are adopted at the next boot. */
  closeAll(): void {
    for (const uuid of [...this.#runtimes.keys()]) this.#forget(uuid)
  }

  /** Stops listening to a server's runtime (replaced, or the daemon stops). */
  #forget(uuid: string): void {
    this.#runtimes.get(uuid)?.close()
    this.#runtimes.delete(uuid)
    this.#unwatchDisk.get(uuid)?.()
    this.#unwatchDisk.delete(uuid)
  }

  // PowerApi

  isSuspended(server: Server): boolean {
    return server.isSuspended
  }

  power(server: Server, action: PowerAction, waitMs: number): void {
    this.#background(server, `${action} the server`, () =>
      this.of(server).power(action, { waitMs }),
    )
  }

  isRunning(server: Server): Promise<boolean> {
    return this.of(server).isRunning()
  }

  sendCommands(server: Server, commands: readonly string[]): Promise<void> {
    return this.of(server).sendCommands(commands)
  }

  readLog(server: Server, lines: number): Promise<readonly string[]> {
    return this.of(server).environment.readLog(lines)
  }

  install(server: Server): void {
    this.#background(server, 'install the server', async () => {
      await this.#options.sync(server)
      await this.#options.installer.install(server, { reinstall: false })
    })
  }

  isPowerBusy(server: Server): boolean {
    return this.of(server).isBusy
  }

  reinstall(server: Server): void {
    this.#background(server, 'reinstall the server', async () => {
      const runtime = this.of(server)
      if (server.state !== 'offline') await runtime.stopWithin(REINSTALL_STOP_MS, true)
      await this.#options.sync(server)
      await this.#options.installer.install(server, { reinstall: true })
    })
  }

  /**
   * Runs work for a server off the request, tracked until it ends. Its failure is logged where it
   * is handled, here; once the server was deleted, a failure is the expected end of the work, and
   * what it may have made after the delete removed the runtime is removed again.
   */
  #background(server: Server, what: string, work: () => Promise<unknown>): void {
    const tasks = this.#work.get(server.uuid) ?? new Set<Promise<void>>()
    this.#work.set(server.uuid, tasks)
    const environment = this.#runtimes.get(server.uuid)?.environment
    const task: Promise<void> = work()
      .then(
        () => undefined,
        (err: unknown) => {
          if (server.isCancelled)
            server.logger.debug(`stopped trying to ${what}: server deleted`, { err })
          // Refusals (lock busy, server running…) are expected; anything else is an error.
          else if (isDaemonError(err)) server.logger.warn(`failed to ${what}`, { err })
          else server.logger.error(`failed to ${what}`, { err })
        },
      )
      .then(async () => {
        tasks.delete(task)
        if (tasks.size === 0 && this.#work.get(server.uuid) === tasks) {
          this.#work.delete(server.uuid)
        }
        // A container or process made after the delete removed the runtime goes now.
        if (server.isCancelled) await this.#removeLeftovers(server, environment)
      })
    tasks.add(task)
  }

  async #removeLeftovers(server: Server, environment: Environment | undefined): Promise<void> {
    await environment?.destroy().catch((err: unknown) => {
      server.logger.warn('failed to remove the runtime of a deleted server', { err })
    })
  }

  #powerSettings(): PowerSettings {
    const config = this.#options.live.current()
    if (this.#derived === undefined || this.#derivedFrom !== config) {
      this.#derivedFrom = config
      this.#derived = {
        appName: config.app_name,
        crashDetection: {
          enabled: config.system.crash_detection.enabled,
          detectCleanExitAsCrash: config.system.crash_detection.detect_clean_exit_as_crash,
          timeoutSeconds: config.system.crash_detection.timeout,
        },
        throttle: {
          lines: config.throttles.lines,
          intervalMs: config.throttles.line_reset_interval,
        },
      }
    }
    return this.#derived
  }

  #settingsOf(server: Server): EnvironmentSettings {
    return environmentSettingsOf(server.configuration, {
      timezone: this.#options.live.current().system.timezone,
    })
  }

  async #syncForStart(server: Server): Promise<void> {
    try {
      await this.#options.sync(server)
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err
      const text = cause instanceof Error ? cause.message : String(cause)
      throw new Error(`unable to sync server data from Panel instance: ${text}`, { cause: err })
    }
  }

  /** Behaviour §3.2 step 2d: a fresh walk when the server has a limit and the figure is stale. */
  async #checkDisk(server: Server): Promise<void> {
    const jail = this.#options.jails.of(server)
    if (jail.quota.limitBytes === 0) {
      void jail.diskUsage('stale-ok')
      return
    }
    this.of(server).notice(NOTICES.diskCheck)
    const used = await jail.diskUsage('fresh')
    if (jail.quota.limitBytes < 0 || used > jail.quota.limitBytes) {
      throw new QuotaExceededError('filesystem: not enough disk space')
    }
  }

  async #rewriteConfigFiles(server: Server): Promise<void> {
    const configs = server.configuration.process.configs
    if (configs.length === 0) return
    await rewriteConfigFiles(
      configs,
      jailConfigFileIo(this.#options.jails.of(server)),
      configValueResolverFrom(this.#options.live.current()),
      server.logger,
    )
  }

  async #fixPermissions(server: Server): Promise<void> {
    const { uid, gid } = this.#options.live.current().system.user
    if (uid <= 0 && gid <= 0) return
    await chownTree(this.#options.rootOf(server), uid, gid)
  }
}

/** The egg's config files are read and written through the server's jail. */
export function jailConfigFileIo(jail: Jail): ConfigFileIo {
  return {
    async read(path) {
      try {
        const { stream } = await jail.openRead(path)
        const chunks: Buffer[] = []
        for await (const chunk of stream) chunks.push(chunk as Buffer)
        return Buffer.concat(chunks)
      } catch (err) {
        if (jailFaultOf(err)?.reason === 'not_found') return undefined
        throw err
      }
    },
    async write(path, data) {
      await jail.writeFile(path, data)
    },
  }
}

/** Whether every promise settled within `ms` (they never reject here). */
async function settleWithin(promises: readonly Promise<unknown>[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  try {
    return await Promise.race([Promise.allSettled(promises).then(() => true as const), timeout])
  } finally {
    clearTimeout(timer)
  }
}
