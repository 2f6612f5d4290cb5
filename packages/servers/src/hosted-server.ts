import type { Jail } from '@node/filesystem-jail'
import type { ServerRuntime } from '@node/power'
import type { EnvironmentSettings, Server } from '@node/server-state'
import { isDaemonError, type Clock } from '@node/shared-kernel'

const MIB = 1024 * 1024

export interface HostedServerOptions {
  readonly server: Server
  readonly runtime: ServerRuntime
  readonly jail: Jail
  readonly clock: Clock
}

/**
 * One game server as this node hosts it: its state (`server`), its runtime with the power state
 * machine (`runtime`) and its filesystem jail (`jail`), made together when the server joins the
 * node and removed together when it leaves (NodeServers). Work for the server that outlives a
 * request (install, power, and later backups and transfers) runs through `runInBackground`, so
 * that a delete can wait for it and clean up after it.
 */
export class HostedServer {
  readonly server: Server
  readonly runtime: ServerRuntime
  readonly jail: Jail
  readonly #clock: Clock
  readonly #work = new Set<Promise<void>>()
  readonly #onLeave: (() => void)[] = []

  constructor(options: HostedServerOptions) {
    this.server = options.server
    this.runtime = options.runtime
    this.jail = options.jail
    this.#clock = options.clock
  }

  get uuid(): string {
    return this.server.uuid
  }

  /** Calls `stop` once the server leaves this node's memory (deleted, or the daemon stops). */
  onLeave(stop: () => void): void {
    this.#onLeave.push(stop)
  }

  /**
   * Runs work for this server off the request, tracked until it ends. Its failure is logged here,
   * where it is handled: refusals (lock busy, server running…) as warnings, anything else as an
   * error, and nothing more than a debug line once the server was deleted, when failing is the
   * expected end of the work. What such work made after the delete removed the runtime (a
   * container, a process) is removed again.
   */
  runInBackground(what: string, work: () => Promise<unknown>): void {
    const { server } = this
    const task: Promise<void> = work()
      .then(
        () => undefined,
        (err: unknown) => {
          if (server.isCancelled) {
            server.logger.debug(`stopped trying to ${what}: server deleted`, { err })
          } else if (isDaemonError(err)) server.logger.warn(`failed to ${what}`, { err })
          else server.logger.error(`failed to ${what}`, { err })
        },
      )
      .then(async () => {
        this.#work.delete(task)
        if (server.isCancelled) await this.#removeLeftovers()
      })
    this.#work.add(task)
  }

  /** The cached disk usage plus every write since the last walk, also kept on `server`; never walks. */
  diskBytes(): number {
    // Answers at once; a stale figure starts a walk in the background for the next caller.
    void this.jail.diskUsage('stale-ok')
    const bytes = this.jail.quota.usage.current
    this.server.setDiskBytes(bytes)
    return bytes
  }

  /**
   * The server's configuration changed (http-api §6.8): the egg's deny list and the disk limit
   * apply from the next file operation, the runtime's limits in place.
   */
  async applyConfiguration(settings: EnvironmentSettings): Promise<void> {
    const { settings: current } = this.server.configuration
    this.jail.setDenylist(current.egg.fileDenylist)
    this.jail.quota.setLimit(current.build.diskSpace * MIB)
    this.runtime.environment.configure(settings)
    await this.runtime.environment.updateResources()
  }

  /** The daemon stops: nothing listens to the runtime any more; its process runs on. */
  async detach(): Promise<void> {
    this.#leave()
    this.runtime.close()
    await this.jail.close()
  }

  /**
   * http-api §6.2 step 5: the runtime goes, running or not. The server was cancelled before, so
   * its work in flight (a create, an install, a start) stops at its next step; the process is
   * removed first, which also ends any wait on it, then that work is waited for, at most
   * `settleMs`, and the jail is closed. Resolves whether the work ended in time; what it makes
   * later is removed when it ends.
   */
  async destroy(settleMs: number): Promise<boolean> {
    this.#leave()
    await this.runtime.destroy()
    const settled = await this.#settleWithin(settleMs)
    await this.jail.close()
    return settled
  }

  #leave(): void {
    for (const stop of this.#onLeave.splice(0)) stop()
  }

  async #removeLeftovers(): Promise<void> {
    await this.runtime.environment.destroy().catch((err: unknown) => {
      this.server.logger.warn('failed to remove the runtime of a deleted server', { err })
    })
  }

  async #settleWithin(ms: number): Promise<boolean> {
    const work = [...this.#work]
    if (work.length === 0) return true
    let cancel = (): void => undefined
    const timeout = new Promise<false>((resolve) => {
      cancel = this.#clock.setTimeout(() => resolve(false), ms)
    })
    try {
      return await Promise.race([Promise.allSettled(work).then(() => true as const), timeout])
    } finally {
      cancel()
    }
  }
}
