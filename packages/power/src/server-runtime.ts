import {
  type Environment,
  type EnvironmentSettings,
  type ExitState,
  type ImagePullEvent,
  type Server,
  type ServerState,
} from '@node/server-state'
import { ConflictError, systemClock, type Clock } from '@node/shared-kernel'

import { formatNotice, NOTICES } from './console-notice.js'
import { ConsoleThrottle } from './console-throttle.js'
import { POWER_ERRORS, type PowerAction } from './power-errors.js'
import { PowerLock } from './power-lock.js'
import { doneMatcherOf, inspectedLine } from './startup-matcher.js'

/** Node-wide settings the runtime reads on every use, so config updates apply at once. */
export interface PowerSettings {
  /** `app_name`, shown in console notices. */
  readonly appName: string
  /** `system.crash_detection`; the timeout is in seconds, 0 restarts after every crash. */
  readonly crashDetection: {
    readonly enabled: boolean
    readonly detectCleanExitAsCrash: boolean
    readonly timeoutSeconds: number
  }
  /** `throttles.lines` per `throttles.line_reset_interval` milliseconds. */
  readonly throttle: { readonly lines: number; readonly intervalMs: number }
}

/**
 * The start preflight steps that need the rest of the daemon (behaviour §3.2 step 2). Each step
 * rejects to abort the start; its error is what the caller sees.
 */
export interface StartPreflight {
  /** Re-fetches the configuration from the Panel and applies it to the server. */
  sync(): Promise<void>
  /** The runtime settings of the server's current configuration. */
  environmentSettings(): EnvironmentSettings
  /** Rejects when the server is over its disk limit (the notice is already printed). */
  checkDisk?(): Promise<void>
  /** Rewrites the egg's configuration files inside the server's root. */
  rewriteConfigFiles?(): Promise<void>
  /** `check_permissions_on_boot`: hands the server's files to the daemon's user; omit when off. */
  fixPermissions?(): Promise<void>
}

export interface ServerRuntimeOptions {
  readonly server: Server
  readonly environment: Environment
  readonly settings: () => PowerSettings
  readonly preflight: StartPreflight
  readonly clock?: Clock
}

export interface PowerOptions {
  /** How long start/stop/restart wait for the power lock; 0 fails at once when it is held. */
  readonly waitMs?: number
}

/** Stop grace of the power actions stop and restart (behaviour §3.4). */
export const STOP_GRACE_MS = 10 * 60_000

/**
 * Binds one server to its runtime: power actions under the power lock, the console pipeline
 * (startup detection, stop echo, throttle), stats, and crash detection with automatic restart.
 * Everything the server's state machine says comes from here; the environment only reports facts.
 */
export class ServerRuntime {
  readonly server: Server
  readonly environment: Environment
  readonly #settings: () => PowerSettings
  readonly #preflight: StartPreflight
  readonly #clock: Clock
  readonly #lock: PowerLock
  readonly #throttle: ConsoleThrottle
  readonly #unsubscribe: (() => void)[]
  #lastCrashAt: number | undefined
  #crashes = 0
  #restarts = 0

  constructor(options: ServerRuntimeOptions) {
    this.server = options.server
    this.environment = options.environment
    this.#settings = options.settings
    this.#preflight = options.preflight
    this.#clock = options.clock ?? systemClock
    this.#lock = new PowerLock(this.#clock)
    this.#throttle = new ConsoleThrottle(() => this.#settings().throttle, this.#clock)
    const env = this.environment
    this.#unsubscribe = [
      env.subscribe('output', (line) => this.#onOutput(line)),
      env.subscribe('exited', (exit) => this.#onExited(exit)),
      env.subscribe('stats', (sample) => this.server.recordResourceSample(sample)),
      env.subscribe('pull', (event) => this.#onPull(event)),
      this.server.events.subscribe('status', (state) => {
        if (state === 'starting') this.#throttle.reset()
      }),
    ]
  }

  /**
   * Crashes since the daemon started: the process ended on its own while starting or running,
   * with a non-zero code or out of memory (any code with `detect_clean_exit_as_crash`), whether
   * crash detection then restarted it or not.
   */
  get crashCount(): number {
    return this.#crashes
  }

  /** Restarts since the daemon started: the `restart` power action, and the restart after a crash. */
  get restartCount(): number {
    return this.#restarts
  }

  /** Whether a power action holds the lock right now (reinstall refuses then). */
  get isBusy(): boolean {
    return this.#lock.isLocked
  }

  /**
   * Runs a power action to its end (behaviour §3). Refused with ConflictError while installing,
   * transferring or restoring, or when the lock stays busy; `kill` goes ahead even then.
   */
  async power(action: PowerAction, options: PowerOptions = {}): Promise<void> {
    this.#refuseWhileBusyWithOtherWork()
    if (action === 'kill') {
      const locked = this.#lock.tryAcquire()
      try {
        await this.#kill()
      } finally {
        if (locked) this.#lock.release()
      }
      return
    }
    await this.#lock.acquire(options.waitMs ?? 0, this.server.signal)
    try {
      if (action === 'start') await this.#start()
      else if (action === 'stop') await this.#stop(STOP_GRACE_MS, true)
      else {
        this.#restarts++
        await this.#stop(STOP_GRACE_MS, true)
        await this.#start()
      }
    } finally {
      this.#lock.release()
    }
  }

  /**
   * Stops the process outside the power lock, as reinstall, suspension and the disk limiter do,
   * killing it after `timeoutMs` when `kill`, else rejecting with TimeoutError.
   */
  async stopWithin(timeoutMs: number, kill: boolean): Promise<void> {
    await this.#stop(timeoutMs, kill)
  }

  /**
   * Adopts the server's process at boot (behaviour §1 step 12): a running one is attached and
   * marked running; one that should run but does not is started; otherwise the server is offline.
   */
  async reconcile(saved: ServerState | undefined): Promise<void> {
    if (await this.environment.isRunning()) {
      this.server.setState('running')
      await this.environment.attach()
      return
    }
    this.server.setState('offline')
    if (saved === 'running' || saved === 'starting') await this.power('start')
  }

  /**
   * Writes each command to the process (http-api §6.5): one equal to the egg's stop command marks
   * the server stopping first, so its exit is no crash. A failing command is reported and skipped.
   */
  async sendCommands(commands: readonly string[]): Promise<void> {
    const stop = this.server.configuration.process.stop
    for (const command of commands) {
      if (stop.type === 'command' && command === stop.value && this.server.state !== 'offline') {
        this.server.setState('stopping')
      }
      try {
        await this.environment.sendCommand(command)
      } catch (err) {
        this.server.logger.warn('failed to send a command to the server', { err })
      }
    }
  }

  isRunning(): Promise<boolean> {
    return this.environment.isRunning()
  }

  /** Removes the runtime for good (the server is being deleted); the files stay. */
  async destroy(): Promise<void> {
    this.close()
    if (!this.server.isCancelled) this.server.setState('stopping')
    await this.environment.destroy()
    if (!this.server.isCancelled) this.server.setState('offline')
  }

  /** Stops listening to the process without touching it (daemon shutdown). */
  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
    this.environment.detach()
  }

  /** Prints a daemon notice on the console (never throttled). */
  notice(text: string): void {
    this.server.events.publish('console output', formatNotice(this.#settings().appName, text))
  }

  #refuseWhileBusyWithOtherWork(): void {
    if (this.server.isInstalling) throw new ConflictError(POWER_ERRORS.installing)
    if (this.server.isTransferring) throw new ConflictError(POWER_ERRORS.transferring)
    if (this.server.isRestoring) throw new ConflictError(POWER_ERRORS.restoring)
  }

  async #start(): Promise<void> {
    if (this.server.state !== 'offline') throw new ConflictError(POWER_ERRORS.running)
    const preflight = this.#preflight
    await preflight.sync()
    if (this.server.isSuspended) throw new ConflictError(POWER_ERRORS.suspended)
    this.environment.configure(preflight.environmentSettings())
    if (preflight.checkDisk) await preflight.checkDisk()
    if (preflight.rewriteConfigFiles) {
      this.notice(NOTICES.configFiles)
      await preflight.rewriteConfigFiles()
    }
    if (preflight.fixPermissions) {
      this.notice(NOTICES.permissions)
      await preflight.fixPermissions()
    }
    if (await this.environment.isRunning()) {
      this.server.setState('running')
      await this.environment.attach()
      return
    }
    this.server.setState('starting')
    try {
      await this.environment.start(this.server.signal)
    } catch (err) {
      // Through stopping, so a failed start is never taken for a crash.
      this.#markOffline()
      throw err
    }
  }

  async #stop(timeoutMs: number, kill: boolean): Promise<void> {
    if (!(await this.environment.isRunning())) {
      this.#markOffline()
      return
    }
    if (this.server.state !== 'offline') this.server.setState('stopping')
    await this.environment.stop()
    await this.environment.waitForStop({ timeoutMs, kill })
    this.#markOffline()
  }

  async #kill(): Promise<void> {
    if (await this.environment.isRunning()) {
      this.server.setState('stopping')
      await this.environment.kill()
    }
    this.#markOffline()
  }

  #markOffline(): void {
    if (this.server.state === 'offline') return
    this.server.setState('stopping')
    this.server.setState('offline')
  }

  #onOutput(line: string): void {
    const state = this.server.state
    if (state === 'starting' || state === 'running') this.#inspect(line, state)
    const verdict = this.#throttle.check()
    if (verdict === 'pass') this.server.events.publish('console output', line)
    else if (verdict === 'drop-and-notify') this.notice(NOTICES.throttled)
  }

  /** Startup detection and the stop command's echo (behaviour §3.3), before throttling. */
  #inspect(raw: string, state: 'starting' | 'running'): void {
    const process = this.server.configuration.process
    const line = inspectedLine(raw, process.startup.stripAnsi)
    if (state === 'starting' && doneMatcherOf(process.startup)(line)) {
      this.server.setState('running')
    }
    // The TTY echoes a typed stop command: the exit that follows is a stop, not a crash.
    if (process.stop.type === 'command' && line === process.stop.value) {
      this.server.setState('stopping')
    }
  }

  #onExited(exit: ExitState): void {
    const previous = this.server.setState('offline')
    if (previous !== 'starting' && previous !== 'running') return
    this.#onCrash(exit).catch((err: unknown) => {
      this.server.logger.error('crash handling failed', { err })
    })
  }

  /** Crash detection (behaviour §4): notices, the minimum time between crashes, the restart. */
  async #onCrash(exit: ExitState): Promise<void> {
    const settings = this.#settings().crashDetection
    const enabled = this.server.configuration.settings.crashDetectionEnabled ?? settings.enabled
    if (this.server.state !== 'offline') return
    const clean = exit.exitCode === 0 && !exit.oomKilled
    if (!clean || settings.detectCleanExitAsCrash) this.#crashes++
    if (!enabled) {
      this.notice(NOTICES.crashDisabled)
      return
    }
    if (clean && !settings.detectCleanExitAsCrash) return
    this.notice(NOTICES.crashed)
    this.notice(NOTICES.exitCode(exit.exitCode))
    this.notice(NOTICES.outOfMemory(exit.oomKilled))
    const now = this.#clock.now()
    const last = this.#lastCrashAt
    if (
      settings.timeoutSeconds !== 0 &&
      last !== undefined &&
      now - last < settings.timeoutSeconds * 1000
    ) {
      this.notice(NOTICES.crashTooSoon(settings.timeoutSeconds))
      return
    }
    this.#lastCrashAt = now
    this.#restarts++
    this.server.logger.info('restarting the server after a crash', { exit_code: exit.exitCode })
    try {
      await this.power('start')
    } catch (err) {
      this.server.logger.error('failed to restart the server after a crash', { err })
      this.notice(NOTICES.crashFailed)
    }
  }

  #onPull(event: ImagePullEvent): void {
    if (event.kind === 'started') this.notice(NOTICES.pullStarted)
    else if (event.kind === 'finished') this.notice(NOTICES.pullFinished)
    else this.server.events.publish('install output', event.line)
  }
}
