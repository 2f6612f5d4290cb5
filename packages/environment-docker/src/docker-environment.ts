import type { Duplex, Readable } from 'node:stream'

import {
  ConsoleLineSplitter,
  EnvironmentEventEmitter,
  MAX_CONSOLE_LINE_LENGTH,
  ZERO_RESOURCE_SAMPLE,
  type Environment,
  type EnvironmentEventName,
  type EnvironmentListener,
  type EnvironmentSettings,
  type ExitState,
  type InstallerSettings,
  type ResourceSample,
} from '@node/server-state'
import { ConflictError, NotRunningError, TimeoutError, type Logger } from '@node/shared-kernel'
import type Docker from 'dockerode'

import { splitLog } from './split-log.js'
import {
  containerResources,
  installerContainerName,
  installerContainerSpec,
  serverContainerSpec,
} from './container-spec.js'
import type { DockerHost } from './docker-host.js'
import { anySignal, dockerReason, isDockerStatus } from './docker-errors.js'
import { resourceSampleOf, uptimeIncrement, type DockerStatsSample } from './docker-stats.js'
import { stopActionOf, type StopAction } from './stop-signal.js'

// Docker's rule for container names; it also keeps ids from escaping the data directory.
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/
// How a run reads when its container is gone (behaviour §4 step 2).
const MISSING_EXIT: ExitState = Object.freeze({ exitCode: 1, oomKilled: false })
// How long the end of a run may take to show in Docker's state once the console stream closed.
const EXIT_SETTLE_MS = 10_000

export interface DockerEnvironmentInit {
  readonly id: string
  readonly host: DockerHost
  readonly settings: EnvironmentSettings
  /** Set for the throw-away install container of server `id`. */
  readonly installer?: InstallerSettings
}

/** One attachment to a running (or about to start) container: console in and out, and stats. */
interface Run {
  readonly stream: Duplex
  readonly stats: AbortController
  /** Resolves true once the process is known to run, false when starting it failed. */
  readonly started: Deferred<boolean>
  /** Set when the daemon lets go of the container without it ending. */
  detached: boolean
  /** Settles once the end of the run has been handled (`exited` emitted, or nothing to do). */
  finished: Promise<void>
}

/**
 * The Environment of one server on Docker: a container named after the server (or
 * `<id>_installer` for its install script), built as Wings builds it (behaviour §6). The console
 * is attached before the container starts, so no output is lost, and one streaming stats
 * connection runs while it does. Made by DockerEnvironmentFactory.
 */
export class DockerEnvironment implements Environment {
  readonly id: string
  readonly #host: DockerHost
  readonly #installer: InstallerSettings | undefined
  readonly #name: string
  readonly #logger: Logger
  readonly #events: EnvironmentEventEmitter
  #settings: EnvironmentSettings
  #run: Run | undefined
  // The end handling of the latest run; outlives `#run`, which is cleared as soon as it ends.
  #lastFinished: Promise<void> = Promise.resolve()
  #attaching: Promise<void> | undefined
  #sample: ResourceSample = ZERO_RESOURCE_SAMPLE

  constructor(init: DockerEnvironmentInit) {
    if (!CONTAINER_NAME.test(init.id)) {
      throw new RangeError(`not a valid server id for a container name: ${init.id}`)
    }
    this.id = init.id
    this.#host = init.host
    this.#installer = init.installer
    this.#name = init.installer ? installerContainerName(init.id) : init.id
    this.#settings = init.settings
    this.#logger = init.host.logger.child({ server_id: init.id, container: this.#name })
    this.#events = new EnvironmentEventEmitter(this.#logger)
  }

  get settings(): EnvironmentSettings {
    return this.#settings
  }

  configure(settings: EnvironmentSettings): void {
    this.#settings = settings
  }

  get resourceSample(): ResourceSample {
    return this.#sample
  }

  subscribe<K extends EnvironmentEventName>(
    event: K,
    listener: EnvironmentListener<K>,
  ): () => void {
    return this.#events.subscribe(event, listener)
  }

  async exists(signal?: AbortSignal): Promise<boolean> {
    return (await this.#inspect(signal)) !== undefined
  }

  async isRunning(signal?: AbortSignal): Promise<boolean> {
    return (await this.#inspect(signal))?.State.Running ?? false
  }

  async create(signal?: AbortSignal): Promise<void> {
    const info = await this.#inspect(signal)
    if (info?.State.Running) {
      throw new ConflictError('The server is running; its container cannot be re-created now.')
    }
    if (info) {
      await this.#container()
        .remove({ v: true, abortSignal: signal })
        .catch((err: unknown) => {
          if (!isDockerStatus(err, 404)) throw wrap('failed to remove container', err)
        })
    }
    const settings = this.#settings
    const image = this.#installer?.image ?? settings.image
    await this.#host.pullImage(image, (event) => this.#events.emit('pull', event), signal)
    if (!this.#installer && settings.allocations.forceOutgoingIp) {
      await this.#host.ensureOutgoingIpNetwork(settings.allocations.default.ip, signal)
    }
    const spec = this.#installer
      ? installerContainerSpec(this.id, this.#installer, this.#host.settings)
      : serverContainerSpec(this.id, settings, this.#host.settings, ({ mount, reason }) => {
          this.#logger.warn('leaving out a Panel mount', {
            source: mount.source,
            target: mount.target,
            reason,
          })
        })
    signal?.throwIfAborted()
    // Not aborted half-way: Docker finishes a create whose request was dropped, and the container
    // would appear after the caller cleaned up. The call is short; an abort is honoured after it.
    const container = await this.#host.docker.createContainer(spec).catch((err: unknown) => {
      throw wrap('failed to create container', err)
    })
    if (signal?.aborted) {
      await container.remove({ force: true, v: true }).catch((err: unknown) => {
        if (!isDockerStatus(err, 404)) throw wrap('failed to remove container', err)
      })
      signal.throwIfAborted()
    }
  }

  async attach(signal?: AbortSignal): Promise<void> {
    if (this.#run) return
    this.#attaching ??= this.#attachRunning(signal).finally(() => {
      this.#attaching = undefined
    })
    return this.#attaching
  }

  async #attachRunning(signal?: AbortSignal): Promise<void> {
    const info = await this.#inspect(signal)
    if (!info?.State.Running || this.#run) return
    const run = await this.#openRun(signal)
    this.#events.emit('running', undefined)
    run.started.resolve(true)
    this.#startStats(run, Date.parse(info.State.StartedAt))
  }

  async start(signal?: AbortSignal): Promise<void> {
    const info = await this.#inspect(signal)
    if (info?.State.Running) return this.attach(signal)
    // The previous run may have ended a moment ago; let its `exited` go out first.
    await this.#settled()
    await this.create(signal)
    const deadline = anySignal(signal, AbortSignal.timeout(this.#host.attachTimeoutMs))
    const run = await this.#openRun(deadline)
    try {
      await this.#container().start({ abortSignal: deadline })
    } catch (err) {
      run.started.resolve(false)
      this.#closeRun(run)
      throw wrap('failed to start container', err)
    }
    this.#events.emit('running', undefined)
    run.started.resolve(true)
    this.#startStats(run, Date.now())
  }

  async stop(signal?: AbortSignal): Promise<void> {
    const action: StopAction = this.#installer
      ? { kind: 'signal', signal: 'SIGKILL' }
      : stopActionOf(this.#settings.stop)
    if (action.kind === 'signal') {
      if (this.#settings.stop.type === '') {
        this.#logger.warn('no stop configuration detected for environment, killing the process')
      }
      return this.#signal(action.signal, signal)
    }
    const run = this.#run
    if (action.kind === 'command' && run && !run.detached && run.stream.writable) {
      return write(run.stream, `${action.command}\n`)
    }
    // A native stop, or a stop command with no console to type it into: the image's stop signal.
    const info = await this.#inspect(signal)
    if (!info?.State.Running) return
    const stopSignal = (info.Config as { StopSignal?: string }).StopSignal
    return this.#signal(stopSignal || 'SIGTERM', signal)
  }

  async waitForStop(options: {
    readonly timeoutMs: number
    readonly kill: boolean
    readonly signal?: AbortSignal
  }): Promise<void> {
    const { timeoutMs, kill, signal } = options
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new RangeError(`timeoutMs must be a non-negative number, got ${timeoutMs}`)
    }
    const timeout = AbortSignal.timeout(timeoutMs)
    try {
      await this.#container().wait({
        condition: 'not-running',
        abortSignal: anySignal(signal, timeout),
      })
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      if (!isDockerStatus(err, 404)) {
        if (!timeout.aborted) throw wrap('failed to wait for the container to stop', err)
        if (!kill) throw new TimeoutError('The server process did not stop in time.')
        this.#logger.warn('container stop did not complete in time, terminating process', {
          timeout_ms: timeoutMs,
        })
        return this.kill(signal)
      }
    }
    await this.#settled()
  }

  async kill(signal?: AbortSignal): Promise<void> {
    await this.#signal('SIGKILL', signal)
    try {
      await this.#container().wait({ condition: 'not-running', abortSignal: signal })
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      if (!isDockerStatus(err, 404)) throw wrap('failed to wait for the container to stop', err)
    }
    await this.#settled()
  }

  async destroy(signal?: AbortSignal): Promise<void> {
    try {
      await this.#container().remove({ force: true, v: true, abortSignal: signal })
    } catch (err) {
      if (!isDockerStatus(err, 404)) throw wrap('failed to remove container', err)
    }
    await this.#settled()
  }

  /** Lets go of the container without touching it (daemon shutdown); output and stats stop. */
  detach(): void {
    if (this.#run) this.#closeRun(this.#run)
  }

  async sendCommand(command: string): Promise<void> {
    const run = this.#run
    if (!run || run.detached || !run.stream.writable) {
      throw new NotRunningError('Cannot send commands to a stopped server instance.')
    }
    await write(run.stream, `${command}\n`)
  }

  async readLog(lines: number, signal?: AbortSignal): Promise<string[]> {
    if (!Number.isSafeInteger(lines) || lines < 1) {
      throw new RangeError(`lines must be a positive integer, got ${lines}`)
    }
    // dockerode's logs() parses a body that happens to be JSON; read the raw stream instead.
    const body = await new Promise<Readable | undefined>((resolve, reject) => {
      this.#host.docker.modem.dial(
        {
          path: `/containers/${this.#name}/logs?`,
          method: 'GET',
          isStream: true,
          abortSignal: signal,
          statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
          options: { stdout: true, stderr: true, tail: lines },
        },
        (err, data) => {
          // No container: the server never ran here, and has no log (as a fresh container).
          if (isDockerStatus(err, 404)) resolve(undefined)
          else if (err) reject(wrap('failed to read container log', err))
          else resolve(data as Readable)
        },
      )
    })
    if (body === undefined) return []
    const chunks: Buffer[] = []
    for await (const chunk of body) chunks.push(chunk as Buffer)
    return splitLog(Buffer.concat(chunks).toString('utf8'))
  }

  async uptime(signal?: AbortSignal): Promise<number> {
    const info = await this.#inspect(signal)
    if (!info?.State.Running) return 0
    const started = Date.parse(info.State.StartedAt)
    return Number.isFinite(started) ? Math.max(0, Date.now() - started) : 0
  }

  async exitState(signal?: AbortSignal): Promise<ExitState> {
    const info = await this.#inspect(signal)
    if (!info) return MISSING_EXIT
    return { exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled }
  }

  async updateResources(signal?: AbortSignal): Promise<void> {
    if (this.#installer) return
    const host = this.#host.settings
    const resources = containerResources(
      this.#settings.limits,
      host.overhead,
      host.containerPidLimit,
    )
    try {
      await this.#container().update({ ...resources, abortSignal: signal })
    } catch (err) {
      if (!isDockerStatus(err, 404)) throw wrap('could not update container', err)
    }
  }

  #container(): Docker.Container {
    return this.#host.docker.getContainer(this.#name)
  }

  async #inspect(signal?: AbortSignal): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.#container().inspect({ abortSignal: signal })
    } catch (err) {
      if (isDockerStatus(err, 404)) return undefined
      throw wrap('failed to inspect container', err)
    }
  }

  async #signal(name: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#container().kill({ signal: name, abortSignal: signal })
    } catch (err) {
      // 404: no container; 409: not running. Either way there is nothing left to signal.
      if (!isDockerStatus(err, 404) && !isDockerStatus(err, 409)) {
        throw wrap(`failed to send ${name} to container`, err)
      }
    }
  }

  /** Waits (boundedly) until the end of the current run has been handled. */
  async #settled(): Promise<void> {
    const timer = AbortSignal.timeout(EXIT_SETTLE_MS)
    await Promise.race([
      this.#lastFinished,
      new Promise<void>((resolve) => timer.addEventListener('abort', () => resolve())),
    ])
  }

  /** Attaches to the container's TTY. The attach request gets no abort signal: aborting it would
   * tear down the upgraded connection later; a late stream after `signal` fired is closed. */
  async #openRun(signal?: AbortSignal): Promise<Run> {
    const attaching = this.#container().attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    }) as Promise<Duplex>
    const stream = await abortable(attaching, signal, (late) => late.destroy()).catch(
      (err: unknown) => {
        throw signal?.aborted ? err : wrap('failed to attach to container', err)
      },
    )
    const run: Run = {
      stream,
      stats: new AbortController(),
      started: deferred<boolean>(),
      detached: false,
      finished: Promise.resolve(),
    }
    const splitter = new ConsoleLineSplitter((line) => {
      if (!run.detached) this.#events.emit('output', line)
    }, MAX_CONSOLE_LINE_LENGTH)
    stream.on('data', (chunk: Buffer) => splitter.push(chunk))
    stream.on('error', (err) => this.#logger.debug('console stream error', { err }))
    const ended = new Promise<void>((resolve) => {
      stream.once('end', resolve)
      stream.once('close', resolve)
    })
    run.finished = ended.then(async () => {
      splitter.end()
      await this.#endRun(run)
    })
    this.#run = run
    this.#lastFinished = run.finished
    return run
  }

  #closeRun(run: Run): void {
    run.detached = true
    run.stats.abort()
    run.stream.destroy()
    if (this.#run === run) this.#run = undefined
    this.#sample = ZERO_RESOURCE_SAMPLE
  }

  async #endRun(run: Run): Promise<void> {
    run.stats.abort()
    if (this.#run === run) this.#run = undefined
    this.#sample = ZERO_RESOURCE_SAMPLE
    if (run.detached || !(await run.started.promise)) return
    let exit: ExitState | 'running'
    try {
      exit = await this.#settleExit()
    } catch (err) {
      this.#logger.warn('cannot read how the container ended', { err })
      exit = MISSING_EXIT
    }
    if (exit === 'running') {
      // The console connection dropped, not the process: attach again.
      this.#logger.warn('console stream closed while the container still runs; re-attaching')
      await this.attach().catch((err: unknown) =>
        this.#logger.error('failed to re-attach to container', { err }),
      )
      return
    }
    this.#events.emit('exited', exit)
  }

  async #settleExit(): Promise<ExitState | 'running'> {
    try {
      await this.#container().wait({
        condition: 'not-running',
        abortSignal: AbortSignal.timeout(EXIT_SETTLE_MS),
      })
    } catch (err) {
      if (isDockerStatus(err, 404)) return MISSING_EXIT
    }
    const info = await this.#inspect()
    if (!info) return MISSING_EXIT
    if (info.State.Running) return 'running'
    return { exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled }
  }

  /** The one streaming stats connection of a run (behaviour §18); it ends with the run. */
  #startStats(run: Run, startedAt: number): void {
    let uptime = Number.isFinite(startedAt) ? Math.max(0, Date.now() - startedAt) : 0
    // dockerode's types omit `abortSignal`, which it passes on to the request.
    const options = { stream: true, abortSignal: run.stats.signal } as { stream: true }
    const opened = this.#container().stats(options) as unknown as Promise<Readable>
    opened.then(
      (stream) => {
        let pending = ''
        stream.on('data', (chunk: Buffer) => {
          pending += chunk.toString('utf8')
          let newline: number
          while ((newline = pending.indexOf('\n')) !== -1) {
            const line = pending.slice(0, newline)
            pending = pending.slice(newline + 1)
            if (line.trim() === '' || run.detached || this.#run !== run) continue
            let stats: DockerStatsSample
            try {
              stats = JSON.parse(line) as DockerStatsSample
            } catch {
              continue
            }
            uptime += uptimeIncrement(stats)
            this.#sample = resourceSampleOf(stats, uptime)
            this.#events.emit('stats', this.#sample)
          }
        })
        stream.on('error', () => undefined)
        run.stats.signal.addEventListener('abort', () => stream.destroy(), { once: true })
      },
      (err: unknown) => {
        if (!run.stats.signal.aborted) {
          this.#logger.warn('error during environment resource polling', { err })
        }
      },
    )
  }
}

interface Deferred<T> {
  readonly promise: Promise<T>
  readonly resolve: (value: T) => void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** The daemon's words plus Docker's own reason, so that one log line says why. */
function wrap(what: string, cause: unknown): Error {
  const reason = dockerReason(cause)
  return new Error(`environment/docker: ${what}${reason ? `: ${reason}` : ''}`, { cause })
}

function write(stream: Duplex, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (err) =>
      err
        ? reject(
            new NotRunningError('Cannot send commands to a stopped server instance.', {
              cause: err,
            }),
          )
        : resolve(),
    )
  })
}

/** `promise`, or the reason of `signal` if it aborts first; a late result is handed to `discard`. */
function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  discard: (late: T) => void,
): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) {
    promise.then(discard, () => undefined)
    return Promise.reject(signal.reason as Error)
  }
  return new Promise<T>((resolve, reject) => {
    let done = false
    const onAbort = (): void => {
      done = true
      reject(signal.reason as Error)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        if (done) discard(value)
        else resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        if (!done) reject(err instanceof Error ? err : new Error(String(err)))
      },
    )
  })
}
