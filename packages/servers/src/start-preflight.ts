import { rewriteConfigFiles } from '@node/config-files'
import type { Jail } from '@node/filesystem-jail'
import { NOTICES, type StartPreflight } from '@node/power'
import type { EnvironmentSettings, Server } from '@node/server-state'
import { QuotaExceededError } from '@node/shared-kernel'

import { chownTree } from './fix-permissions.js'
import { jailConfigFileIo } from './jail-config-file-io.js'
import type { ServersSettings } from './servers-settings.js'

export interface StartPreflightOptions {
  readonly server: Server
  readonly jail: Jail
  /** The server's root directory on the host, for the permission fix. */
  readonly root: string
  /** Prints a daemon notice on the server's console. */
  readonly notice: (text: string) => void
  /** Re-fetches the server's configuration from the Panel and applies it. */
  readonly sync: () => Promise<void>
  readonly environmentSettings: () => EnvironmentSettings
  readonly settings: () => ServersSettings
}

/**
 * The steps of a start that need more than the runtime (behaviour §3.2 step 2): the sync with the
 * Panel, the disk check, the egg's configuration files, and the permission fix when
 * `fixPermissionsOnStart` was set when the server joined.
 */
export function startPreflight(options: StartPreflightOptions): StartPreflight {
  const { server, jail, settings } = options
  return {
    sync: () => syncForStart(options.sync),
    environmentSettings: options.environmentSettings,
    checkDisk: () => checkDisk(jail, options.notice),
    async rewriteConfigFiles() {
      const configs = server.configuration.process.configs
      if (configs.length === 0) return
      await rewriteConfigFiles(
        configs,
        jailConfigFileIo(jail),
        settings().configValues,
        server.logger,
      )
    },
    ...(settings().fixPermissionsOnStart
      ? {
          async fixPermissions() {
            const { uid, gid } = settings().user
            if (uid <= 0 && gid <= 0) return
            await chownTree(options.root, uid, gid)
          },
        }
      : {}),
  }
}

/** The reference's wording of a failed sync before a start, which the console shows. */
async function syncForStart(sync: () => Promise<void>): Promise<void> {
  try {
    await sync()
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err)
    throw new Error(`unable to sync server data from Panel instance: ${text}`, { cause: err })
  }
}

/** Behaviour §3.2 step 2d: a fresh walk when the server has a limit and the figure is stale. */
async function checkDisk(jail: Jail, notice: (text: string) => void): Promise<void> {
  if (jail.quota.limitBytes === 0) {
    void jail.diskUsage('stale-ok')
    return
  }
  notice(NOTICES.diskCheck)
  const used = await jail.diskUsage('fresh')
  if (jail.quota.limitBytes < 0 || used > jail.quota.limitBytes) {
    throw new QuotaExceededError('filesystem: not enough disk space')
  }
}
