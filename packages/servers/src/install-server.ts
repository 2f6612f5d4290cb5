import type { Installer } from '@node/installer'

import type { HostedServer } from './hosted-server.js'
import type { SyncServer } from './sync-server.js'

/** Lock wait of the start after an install (behaviour §5 step 4). */
const START_AFTER_INSTALL_WAIT_MS = 30_000
/** Stop grace of a reinstall (behaviour §3.4). */
const REINSTALL_STOP_MS = 10_000

export interface InstallServerOptions {
  readonly installer: Pick<Installer, 'install' | 'readOutput'>
  readonly sync: SyncServer
}

/**
 * The egg's install script, run in the background (behaviour §5): after a create, on
 * `POST /install` and on `POST /reinstall`. Failures are logged on the server; the Panel hears
 * the outcome from the installer.
 */
export class InstallServer {
  readonly #installer: Pick<Installer, 'install' | 'readOutput'>
  readonly #sync: SyncServer

  constructor(options: InstallServerOptions) {
    this.#installer = options.installer
    this.#sync = options.sync
  }

  /** A server just created (http-api §5.4): its runtime is made, the script runs, then a start when asked. */
  afterCreate(hosted: HostedServer, startOnCompletion: boolean): void {
    const { server, runtime } = hosted
    hosted.runInBackground('install a new server', async () => {
      await runtime.environment.create(server.signal)
      const successful = await this.#installer.install(server, { reinstall: false })
      if (successful && startOnCompletion) {
        await runtime.power('start', { waitMs: START_AFTER_INSTALL_WAIT_MS })
      }
    })
  }

  /** `POST /api/servers/:server/install` (http-api §6.6): sync, then install. */
  install(hosted: HostedServer): void {
    hosted.runInBackground('install the server', async () => {
      await this.#sync.execute(hosted)
      await this.#installer.install(hosted.server, { reinstall: false })
    })
  }

  /**
   * `GET /api/servers/:server/install-logs` [pelican]: the script output of the last install;
   * undefined when the server was never installed on this node.
   */
  log(hosted: HostedServer): Promise<string | undefined> {
    return this.#installer.readOutput(hosted.uuid)
  }

  /** `POST /api/servers/:server/reinstall` (http-api §6.7): stop, sync, then install again. */
  reinstall(hosted: HostedServer): void {
    const { server, runtime } = hosted
    hosted.runInBackground('reinstall the server', async () => {
      if (server.state !== 'offline') await runtime.stopWithin(REINSTALL_STOP_MS, true)
      await this.#sync.execute(hosted)
      await this.#installer.install(server, { reinstall: true })
    })
  }
}
