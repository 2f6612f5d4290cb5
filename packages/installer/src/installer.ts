import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import path from 'node:path'

import {
  environmentVariables,
  type Environment,
  type EnvironmentFactory,
  type ExitState,
  type PanelGateway,
  type Server,
} from '@node/server-state'
import { ConflictError } from '@node/shared-kernel'

import { installLogHeader } from './install-log.js'

/** The reference daemon's texts (behaviour §5, websocket.md §6.3). */
export const INSTALL_MESSAGES = {
  locked: 'install: cannot obtain installation lock',
  started: 'Starting installation process, this could take a few minutes...',
  completed: 'Installation process completed.',
} as const

export interface InstallerOptions {
  readonly factory: EnvironmentFactory
  readonly panel: Pick<PanelGateway, 'getInstallationScript' | 'setInstallationStatus'>
  /** `system.tmp_directory`: the script goes to `<tmp>/<uuid>/install.sh`. */
  readonly tmpDirectory: string
  /** `<log_directory>/install`: the log goes to `<uuid>.log`. */
  readonly logDirectory: string
  /** `system.timezone`, read per install. */
  readonly timezone: () => string
}

export interface InstallOptions {
  /** Reported to the Panel as `reinstall`. */
  readonly reinstall: boolean
}

/**
 * Runs a server's egg install script (behaviour §5) in a throw-away runtime of the node's
 * environment, the server's files mounted where the script expects them. The server is flagged
 * installing meanwhile, which locks out power actions and a second install.
 */
export class Installer {
  readonly #options: InstallerOptions

  constructor(options: InstallerOptions) {
    this.#options = options
  }

  /**
   * Installs and reports to the Panel; resolves with whether the install succeeded (the script's
   * exit code does not count, only the daemon's own failures do). Rejects with ConflictError when
   * the server is installing already.
   */
  async install(server: Server, options: InstallOptions): Promise<boolean> {
    if (server.isInstalling) throw new ConflictError(INSTALL_MESSAGES.locked)
    server.setInstalling(true)
    let successful = true
    try {
      if (!server.configuration.settings.skipEggScripts) {
        server.events.publish('install started', undefined)
        successful = await this.#runScript(server).then(
          () => true,
          (err: unknown) => {
            server.logger.error('failed to run the install script', { err })
            return false
          },
        )
      }
      await this.#options.panel
        .setInstallationStatus(server.uuid, { successful, reinstall: options.reinstall })
        .catch((err: unknown) => {
          server.logger.error('failed to report the installation status to the Panel', { err })
        })
    } finally {
      server.setInstalling(false)
      if (server.state !== 'offline') server.setState('offline')
      server.events.publish('install completed', undefined)
    }
    return successful
  }

  async #runScript(server: Server): Promise<void> {
    const { factory, panel } = this.#options
    const signal = server.signal
    const script = await panel.getInstallationScript(server.uuid, signal)
    const scriptDirectory = path.join(this.#options.tmpDirectory, server.uuid)
    await mkdir(scriptDirectory, { recursive: true, mode: 0o700 })
    const variables = environmentVariables(server.configuration, {
      timezone: this.#options.timezone(),
    })
    const environment = factory.forInstaller(server.uuid, {
      image: script.containerImage,
      entrypoint: script.entrypoint,
      scriptDirectory,
      variables,
      limits: server.configuration.settings.build,
    })
    const log = await this.#openLog(server.uuid)
    try {
      await writeFile(
        path.join(scriptDirectory, 'install.sh'),
        script.script.replace(/\r\n/g, '\n'),
        { mode: 0o644 },
      )
      log.write(
        installLogHeader({
          uuid: server.uuid,
          image: script.containerImage,
          entrypoint: script.entrypoint,
          variables,
        }),
      )
      // A previous `<uuid>_installer` left behind goes first.
      await environment.destroy()
      await this.#runToEnd(server, environment, log, signal)
    } finally {
      log.end()
      await once(log, 'close').catch(() => undefined)
      await environment.destroy().catch((err: unknown) => {
        server.logger.warn('failed to remove the installer runtime', { err })
      })
      await rm(scriptDirectory, { recursive: true, force: true })
    }
  }

  async #runToEnd(
    server: Server,
    environment: Environment,
    log: WriteStream,
    signal: AbortSignal,
  ): Promise<ExitState> {
    const unsubscribe = environment.subscribe('output', (line) => {
      server.events.publish('install output', line)
      log.write(`${line}\n`)
    })
    const unsubscribePull = environment.subscribe('pull', (event) => {
      if (event.kind === 'progress') server.events.publish('install output', event.line)
    })
    let unsubscribeExit = (): void => undefined
    const exited = new Promise<ExitState>((resolve) => {
      unsubscribeExit = environment.subscribe('exited', resolve)
    })
    // Removed in `finally`: the server's signal lives as long as the server, across installs.
    let onAbort = (): void => undefined
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(new Error('the server was deleted'))
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      await environment.start(signal)
      server.events.publish('daemon message', INSTALL_MESSAGES.started)
      const exit = await Promise.race([exited, aborted])
      server.events.publish('daemon message', INSTALL_MESSAGES.completed)
      server.logger.info('install script finished', { exit_code: exit.exitCode })
      return exit
    } finally {
      unsubscribe()
      unsubscribePull()
      unsubscribeExit()
      signal.removeEventListener('abort', onAbort)
    }
  }

  async #openLog(uuid: string): Promise<WriteStream> {
    await mkdir(this.#options.logDirectory, { recursive: true, mode: 0o700 })
    const stream = createWriteStream(path.join(this.#options.logDirectory, `${uuid}.log`), {
      mode: 0o600,
    })
    await once(stream, 'open')
    return stream
  }
}
