import path from 'node:path'

import { Jail, VolumeReserve, type JailMode } from '@node/filesystem-jail'
import type { Server } from '@node/server-state'
import type { Logger } from '@node/shared-kernel'

import type { LiveConfig } from './live-config.js'
import type { ServerLifecycleHooks } from './server-service.js'

const MIB = 1024 * 1024

export interface ServerJailsOptions {
  readonly live: LiveConfig
  readonly logger: Logger
  readonly dataDirectory: string
  /** Forced resolution mode (tests); default: the start-up probe picks `openat2` or `walk`. */
  readonly mode?: JailMode
}

/**
 * One filesystem jail per server, opened on its data directory when the server joins the node
 * and closed when it is deleted. Every file operation of the daemon (HTTP, install, config files,
 * archives) goes through `of(server)`, so the quota and the egg's deny list hold everywhere. All
 * jails share one VolumeReserve: the free space `system.disk_reserve` keeps on the volume.
 */
export class ServerJails implements ServerLifecycleHooks {
  readonly #options: ServerJailsOptions
  readonly #jails = new Map<string, Jail>()
  readonly #reserve: VolumeReserve

  constructor(options: ServerJailsOptions) {
    this.#options = options
    this.#reserve = new VolumeReserve({
      path: options.dataDirectory,
      reserveBytes: options.live.current().system.disk_reserve * MIB,
      logger: options.logger.child({ component: 'disk-reserve' }),
    })
    options.live.onChange((config) =>
      this.#reserve.setReserveBytes(config.system.disk_reserve * MIB),
    )
  }

  /** The node's free-space reserve on the servers' volume. */
  get reserve(): VolumeReserve {
    return this.#reserve
  }

  /** The jail of a server on this node; throws for a server that was never prepared. */
  of(server: Server): Jail {
    const jail = this.#jails.get(server.uuid)
    if (jail === undefined) throw new Error(`no filesystem jail for server ${server.uuid}`)
    return jail
  }

  /** The jail of a server, or undefined before it was prepared or after it was deleted. */
  find(server: Server): Jail | undefined {
    return this.#jails.get(server.uuid)
  }

  /** The cached usage plus every write since the last walk; never walks (http-api §6.1). */
  diskBytes(server: Server): number {
    const jail = this.#jails.get(server.uuid)
    if (jail === undefined) return server.diskBytes
    // Answers at once; a stale figure starts a walk in the background for the next caller.
    void jail.diskUsage('stale-ok')
    return jail.quota.usage.current
  }

  async prepare(server: Server): Promise<void> {
    const config = this.#options.live.current()
    const { uid, gid } = config.system.user
    const jail = await Jail.open(path.join(this.#options.dataDirectory, server.uuid), {
      ...(this.#options.mode ? { mode: this.#options.mode } : {}),
      denylist: server.configuration.settings.egg.fileDenylist,
      diskLimitBytes: server.configuration.settings.build.diskSpace * MIB,
      diskCheckIntervalMs: config.system.disk_check_interval * 1000,
      reserve: this.#reserve,
      // Files the daemon writes belong to the user the game server runs as (system.user).
      ...(uid > 0 ? { owner: { uid, gid } } : {}),
      logger: this.#options.logger.child({ server_id: server.uuid, component: 'jail' }),
    })
    await this.#jails.get(server.uuid)?.close()
    this.#jails.set(server.uuid, jail)
  }

  /** The Panel's configuration changed: a new deny list or disk limit applies from now on. */
  synced(server: Server): void {
    const jail = this.#jails.get(server.uuid)
    if (jail === undefined) return
    jail.setDenylist(server.configuration.settings.egg.fileDenylist)
    jail.quota.setLimit(server.configuration.settings.build.diskSpace * MIB)
  }

  async destroy(server: Server): Promise<void> {
    const jail = this.#jails.get(server.uuid)
    this.#jails.delete(server.uuid)
    await jail?.close()
  }

  async closeAll(): Promise<void> {
    const jails = [...this.#jails.values()]
    this.#jails.clear()
    await Promise.all(jails.map((jail) => jail.close()))
  }
}
