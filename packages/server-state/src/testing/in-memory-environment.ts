import { ConflictError, NotRunningError, nullLogger, TimeoutError } from '@node/shared-kernel'

import { EnvironmentEventEmitter } from '../environment/environment-event-emitter.js'
import { ZERO_RESOURCE_SAMPLE, type ResourceSample } from '../model/resource-usage.js'
import type {
  Environment,
  EnvironmentEventName,
  EnvironmentEvents,
  EnvironmentFactory,
  EnvironmentListener,
  EnvironmentSettings,
  ExitState,
  InstallerSettings,
} from '../ports/environment.js'

/** The Environment methods an InMemoryEnvironment records in `calls`. */
export type InMemoryEnvironmentCall =
  | 'configure'
  | 'create'
  | 'attach'
  | 'start'
  | 'stop'
  | 'kill'
  | 'destroy'
  | 'detach'
  | 'updateResources'

/**
 * A runtime held in memory, for unit tests of core packages: the process is driven by the test
 * (`print` writes a line, `exit` ends it), every call is recorded, and `beforeCall` can hold or
 * fail a call. It keeps the port's contract: `start` emits `running`, `destroy` kills a running
 * process, `sendCommand` rejects with NotRunningError when nothing runs.
 */
export class InMemoryEnvironment implements Environment {
  readonly id: string
  settings: EnvironmentSettings
  readonly calls: InMemoryEnvironmentCall[] = []
  /** Every command written to stdin, in order. */
  readonly commands: string[] = []
  /** Every line the process printed, for `readLog`. */
  readonly log: string[] = []
  /** Whether a runtime exists (made by `create` or `start`, removed by `destroy`). */
  created = false
  running = false
  /** What a graceful stop does: the process exits with 0, or ignores it. */
  onStop: 'exit' | 'ignore' = 'exit'
  /** Awaited before each recorded call; a rejection fails the call. */
  beforeCall: ((call: InMemoryEnvironmentCall) => Promise<void> | void) | undefined
  resourceSample: ResourceSample = ZERO_RESOURCE_SAMPLE
  #lastExit: ExitState = { exitCode: 1, oomKilled: false }
  readonly #events = new EnvironmentEventEmitter(nullLogger)

  constructor(id: string, settings: EnvironmentSettings) {
    this.id = id
    this.settings = settings
  }

  configure(settings: EnvironmentSettings): void {
    this.calls.push('configure')
    this.settings = settings
  }

  exists(): Promise<boolean> {
    return Promise.resolve(this.created)
  }

  isRunning(): Promise<boolean> {
    return Promise.resolve(this.running)
  }

  async create(signal?: AbortSignal): Promise<void> {
    await this.#call('create', signal)
    if (this.running) throw new ConflictError('the process is running')
    this.created = true
  }

  async attach(signal?: AbortSignal): Promise<void> {
    await this.#call('attach', signal)
  }

  async start(signal?: AbortSignal): Promise<void> {
    await this.#call('start', signal)
    if (this.running) return
    this.created = true
    this.running = true
    this.#events.emit('running', undefined)
  }

  async stop(signal?: AbortSignal): Promise<void> {
    await this.#call('stop', signal)
    if (this.running && this.onStop === 'exit') this.exit(0)
  }

  /** The grace period is taken as already over: a process still running is killed or times out. */
  async waitForStop(options: {
    readonly timeoutMs: number
    readonly kill: boolean
    readonly signal?: AbortSignal
  }): Promise<void> {
    if (!this.running) return
    if (!options.kill) throw new TimeoutError('timed out waiting for the process to stop')
    await this.kill(options.signal)
  }

  async kill(signal?: AbortSignal): Promise<void> {
    await this.#call('kill', signal)
    if (this.running) this.exit(137)
  }

  async destroy(signal?: AbortSignal): Promise<void> {
    await this.#call('destroy', signal)
    if (this.running) this.exit(137)
    this.created = false
  }

  detach(): void {
    this.calls.push('detach')
  }

  sendCommand(command: string): Promise<void> {
    if (!this.running) return Promise.reject(new NotRunningError('the process is not running'))
    this.commands.push(command)
    return Promise.resolve()
  }

  readLog(lines: number): Promise<string[]> {
    return Promise.resolve(lines <= 0 ? [] : this.log.slice(-lines))
  }

  uptime(): Promise<number> {
    return Promise.resolve(0)
  }

  exitState(): Promise<ExitState> {
    return Promise.resolve(this.#lastExit)
  }

  async updateResources(signal?: AbortSignal): Promise<void> {
    await this.#call('updateResources', signal)
  }

  subscribe<K extends EnvironmentEventName>(
    event: K,
    listener: EnvironmentListener<K>,
  ): () => void {
    return this.#events.subscribe(event, listener)
  }

  /** Reports an event as the adapter would. */
  emit<K extends EnvironmentEventName>(event: K, payload: EnvironmentEvents[K]): void {
    this.#events.emit(event, payload)
  }

  /** The process writes one line. */
  print(line: string): void {
    this.log.push(line)
    this.#events.emit('output', line)
  }

  /** The process ends with `exitCode` (on its own unless a stop or kill asked). */
  exit(exitCode: number, oomKilled = false): void {
    if (!this.running) return
    this.running = false
    this.#lastExit = { exitCode, oomKilled }
    this.#events.emit('exited', this.#lastExit)
  }

  async #call(call: InMemoryEnvironmentCall, signal: AbortSignal | undefined): Promise<void> {
    this.calls.push(call)
    signal?.throwIfAborted()
    await this.beforeCall?.(call)
    signal?.throwIfAborted()
  }
}

/**
 * Makes InMemoryEnvironments and keeps each one. An installer runtime runs `install` once it has
 * started (by default the script prints a line and exits 0); a test can replace it, e.g. to keep
 * an install running until it calls `exit` itself.
 */
export class InMemoryEnvironmentFactory implements EnvironmentFactory {
  /** Every server runtime made, in order. */
  readonly made: InMemoryEnvironment[] = []
  /** Every installer runtime made, in order. */
  readonly installers: InMemoryEnvironment[] = []
  /** What an install script does once its runtime started. */
  install: (environment: InMemoryEnvironment, settings: InstallerSettings) => void = (env) => {
    env.print('installed')
    env.exit(0)
  }

  forServer(id: string, settings: EnvironmentSettings): InMemoryEnvironment {
    const environment = new InMemoryEnvironment(id, settings)
    this.made.push(environment)
    return environment
  }

  /** The latest runtime made for server `id`. */
  latest(id: string): InMemoryEnvironment | undefined {
    return this.made.findLast((environment) => environment.id === id)
  }

  forInstaller(id: string, settings: InstallerSettings): InMemoryEnvironment {
    const environment = new InMemoryEnvironment(`${id}_installer`, {
      image: settings.image,
      invocation: settings.entrypoint,
      variables: settings.variables,
      limits: settings.limits,
      allocations: { forceOutgoingIp: false, default: { ip: '127.0.0.1', port: 0 }, mappings: {} },
      mounts: [],
      labels: {},
      stop: { type: 'signal', value: 'SIGKILL' },
    })
    environment.subscribe('running', () => {
      queueMicrotask(() => this.install(environment, settings))
    })
    this.installers.push(environment)
    return environment
  }
}
