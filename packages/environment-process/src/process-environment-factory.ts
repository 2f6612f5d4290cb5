import path from 'node:path'

import type { EnvironmentFactory, EnvironmentSettings, InstallerSettings } from '@node/server-state'
import { nullLogger, type Logger } from '@node/shared-kernel'

import { ProcessEnvironment, type ProcessHost } from './process-environment.js'

/** The PATH of server processes unless `baseVariables` says otherwise. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export interface ProcessEnvironmentOptions {
  /** `system.data`: server `<id>` runs in `<dataDirectory>/<id>`, which must exist. */
  readonly dataDirectory: string
  /** Runs the startup command with `-c` (default `/bin/sh`). */
  readonly shell?: string
  /**
   * Variables every process gets before the server's own (default: `PATH` only). The daemon's
   * own environment is never passed on; `HOME` is the server directory.
   */
  readonly baseVariables?: Readonly<Record<string, string>>
  /** Output lines kept for `readLog` (default 1000). */
  readonly logLines?: number
  /** How often CPU and memory are read from /proc while a process runs (default 1000 ms). */
  readonly statsIntervalMs?: number
  readonly logger?: Logger
}

/** Makes the ProcessEnvironment of every server of this node. */
export class ProcessEnvironmentFactory implements EnvironmentFactory {
  readonly #host: ProcessHost

  /** Throws a RangeError when an option is out of range. */
  constructor(options: ProcessEnvironmentOptions) {
    if (typeof options.dataDirectory !== 'string' || !path.isAbsolute(options.dataDirectory)) {
      throw new RangeError(`dataDirectory must be an absolute path, got ${options.dataDirectory}`)
    }
    const logLines = options.logLines ?? 1000
    const statsIntervalMs = options.statsIntervalMs ?? 1000
    if (!Number.isSafeInteger(logLines) || logLines < 1) {
      throw new RangeError(`logLines must be a positive integer, got ${logLines}`)
    }
    if (!Number.isFinite(statsIntervalMs) || statsIntervalMs < 10) {
      throw new RangeError(`statsIntervalMs must be at least 10, got ${statsIntervalMs}`)
    }
    this.#host = {
      dataDirectory: options.dataDirectory,
      shell: options.shell ?? '/bin/sh',
      baseVariables: options.baseVariables ?? { PATH: DEFAULT_PATH },
      logLines,
      statsIntervalMs,
      logger: options.logger ?? nullLogger,
      running: new Set(),
    }
  }

  /**
   * Stops every process this factory started, as the daemon stops (a child cannot outlive the
   * daemon's pipes in a usable way): each gets its stop (command or signal; install scripts are
   * killed) and is killed when still running after `graceMs`. Resolves once all have exited.
   */
  async stopAll(graceMs: number): Promise<void> {
    await Promise.all(
      [...this.#host.running].map(async (environment) => {
        try {
          await environment.stop()
        } catch (err) {
          this.#host.logger.warn('failed to stop a server process; killing it', { err })
        }
        await environment.waitForStop({ timeoutMs: graceMs, kill: true })
      }),
    )
  }

  /** Kills every process this factory started, at once (a second stop signal). */
  killAll(): Promise<void> {
    return Promise.all([...this.#host.running].map((environment) => environment.kill())).then(
      () => undefined,
    )
  }

  forServer(id: string, settings: EnvironmentSettings): ProcessEnvironment {
    return new ProcessEnvironment({ id, host: this.#host, settings })
  }

  /**
   * Runs `<entrypoint> <scriptDirectory>/install.sh` in the server directory. Egg scripts that
   * expect /mnt/server and /mnt/install (the container paths) do not work here.
   */
  forInstaller(id: string, settings: InstallerSettings): ProcessEnvironment {
    return new ProcessEnvironment({
      id,
      host: this.#host,
      installer: settings,
      settings: {
        image: settings.image,
        invocation: `${settings.entrypoint} ${path.join(settings.scriptDirectory, 'install.sh')}`,
        variables: settings.variables,
        limits: settings.limits,
        allocations: { forceOutgoingIp: false, default: { ip: '', port: 0 }, mappings: {} },
        mounts: [],
        labels: {},
        stop: { type: '', value: '' },
      },
    })
  }
}
