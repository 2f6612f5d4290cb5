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

import { installLogHeader, installLogTrailer, readInstallLogOutput } from './install-log.js'

/** The most of an install log `readOutput` returns: its last lines when longer. */
const INSTALL_LOG_READ_BYTES = 4 * 1024 * 1024

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
   * Installs and reports to the Panel; resolves with whether the install succeeded: the script
   * exited 0 and the daemon did its part (Panel fetch, pull, create, start). Rejects with
   * ConflictError when the server is installing already. Deleting the server (its `signal`) ends
   * the install at once, unsuccessful and unreported: the Panel has no server left to update.
   */
  async install(server: Server, options: InstallOptions): Promise<boolean> {
    if (server.isInstalling) throw new ConflictError(INSTALL_MESSAGES.locked)
    server.setInstalling(true)
    let successful = true
    try {
      if (!server.configuration.settings.skipEggScripts) {
        server.events.publish('install started', undefined)
        successful = await this.#runScript(server).then(
          (exit) => exit.exitCode === 0,
          (err: unknown) => {
            if (server.isCancelled) server.logger.debug('install ended: server deleted', { err })
            else server.logger.error('failed to run the install script', { err })
            return false
          },
        )
      }
      if (server.isCancelled) return false
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

  /**
   * The script output of the server's last install (see readInstallLogOutput), at most
   * INSTALL_LOG_READ_BYTES; undefined when the server has no install log.
   */
  readOutput(uuid: string): Promise<string | undefined> {
    return readInstallLogOutput(this.#logFile(uuid), INSTALL_LOG_READ_BYTES)
  }

  #logFile(uuid: string): string {
    return path.join(this.#options.logDirectory, `${uuid}.log`)
  }

  async #runScript(server: Server): Promise<ExitState> {
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
      const exit = await this.#runToEnd(server, environment, log, signal)
      log.write(installLogTrailer(exit))
      return exit
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
    try {
      await environment.start(signal)
      server.events.publish('daemon message', INSTALL_MESSAGES.started)
      const exit = await untilAborted(exited, signal)
      server.events.publish('daemon message', INSTALL_MESSAGES.completed)
      server.logger.info('install script finished', { exit_code: exit.exitCode })
      return exit
    } finally {
      unsubscribe()
      unsubscribePull()
      unsubscribeExit()
    }
  }

  async #openLog(uuid: string): Promise<WriteStream> {
    await mkdir(this.#options.logDirectory, { recursive: true, mode: 0o700 })
    const stream = createWriteStream(this.#logFile(uuid), { mode: 0o600 })
    await once(stream, 'open')
    return stream
  }
}

/**
 * `promise`, or a rejection as soon as `signal` aborts (at once when it already has). The abort
 * listener exists only while this waits: the server's signal outlives every install.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('the server was deleted'))
    if (signal.aborted) {
      onAbort()
      return
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: Error) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}
