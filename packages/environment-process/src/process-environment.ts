import { spawn, type ChildProcess } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { constants, totalmem } from 'node:os'
import path from 'node:path'

import {
  ConsoleBuffer,
  ConsoleLineSplitter,
  EnvironmentEventEmitter,
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

import { CLOCK_TICKS_PER_SECOND, readProcessTreeUsage } from './proc-stats.js'
import { startupScript } from './startup-command.js'

// Server ids become directory names: no separators, no dot-only names.
const SERVER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/
// How a run reads when nothing ever ran (as Wings reads a missing container, behaviour §4).
const MISSING_EXIT: ExitState = Object.freeze({ exitCode: 1, oomKilled: false })
// How long the output pipes may stay open after the main process exited before the rest of its
// process group is killed, as a container's processes die with its first process.
const PIPE_GRACE_MS = 1000

/** What every ProcessEnvironment of a node shares (set by ProcessEnvironmentFactory). */
export interface ProcessHost {
  readonly dataDirectory: string
  readonly shell: string
  readonly baseVariables: Readonly<Record<string, string>>
  readonly logLines: number
  readonly statsIntervalMs: number
  readonly logger: Logger
  /** Every environment whose process runs right now (the factory stops them with the daemon). */
  readonly running: Set<ProcessEnvironment>
}

export interface ProcessEnvironmentInit {
  readonly id: string
  readonly host: ProcessHost
  readonly settings: EnvironmentSettings
  /** Set for the install script of server `id`. */
  readonly installer?: InstallerSettings
}

interface Run {
  readonly child: ChildProcess
  readonly startedAt: number
  /** Set by `detach`: the process runs on, unheard. */
  muted: boolean
  /** Set once the main process has exited. */
  ended: boolean
  readonly finished: Promise<void>
  stats: ReturnType<typeof setInterval> | undefined
  lastCpu: { readonly ticks: number; readonly at: number } | undefined
}

/**
 * The Environment of one server as a plain child process: the startup command run by `sh -c` in
 * the server's directory, with the server's variables and nothing of the daemon's environment.
 * No isolation at all (see the README). Made by ProcessEnvironmentFactory.
 */
export class ProcessEnvironment implements Environment {
  readonly id: string
  readonly #host: ProcessHost
  readonly #installer: InstallerSettings | undefined
  readonly #root: string
  readonly #logger: Logger
  readonly #events: EnvironmentEventEmitter
  readonly #log: ConsoleBuffer
  #settings: EnvironmentSettings
  #created = false
  #run: Run | undefined
  #lastExit: ExitState | undefined
  #sample: ResourceSample = ZERO_RESOURCE_SAMPLE

  constructor(init: ProcessEnvironmentInit) {
    if (!SERVER_ID.test(init.id)) throw new RangeError(`not a valid server id: ${init.id}`)
    this.id = init.id
    this.#host = init.host
    this.#installer = init.installer
    this.#root = path.join(init.host.dataDirectory, init.id)
    this.#settings = init.settings
    this.#logger = init.host.logger.child({ server_id: init.id, environment: 'process' })
    this.#events = new EnvironmentEventEmitter(this.#logger)
    this.#log = new ConsoleBuffer({ lines: init.host.logLines })
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

  exists(): Promise<boolean> {
    return Promise.resolve(this.#created || this.#isRunning())
  }

  isRunning(): Promise<boolean> {
    return Promise.resolve(this.#isRunning())
  }

  async create(): Promise<void> {
    if (this.#isRunning()) {
      throw new ConflictError('The server is running; its process cannot be re-created now.')
    }
    const info = await stat(this.#root).catch((err: unknown) => {
      throw new Error(`environment/process: the server directory ${this.#root} is missing`, {
        cause: err,
      })
    })
    if (!info.isDirectory()) {
      throw new Error(`environment/process: ${this.#root} is not a directory`)
    }
    this.#created = true
  }

  /** Unmutes a detached process; a process that outlived the daemon cannot be adopted. */
  attach(): Promise<void> {
    const run = this.#run
    if (run && !run.ended && run.muted) {
      run.muted = false
      this.#events.emit('running', undefined)
    }
    return Promise.resolve()
  }

  async start(signal?: AbortSignal): Promise<void> {
    if (this.#isRunning()) return this.attach()
    if (this.#run) await this.#run.finished
    signal?.throwIfAborted()
    await this.create()
    this.#log.clear()
    const run = await this.#spawn()
    this.#events.emit('running', undefined)
    run.stats = setInterval(() => void this.#sampleStats(run), this.#host.statsIntervalMs)
    run.stats.unref()
  }

  async stop(): Promise<void> {
    const run = this.#run
    if (!run || run.ended) return
    const stop = this.#installer ? { type: '' as const, value: '' } : this.#settings.stop
    if (stop.type === 'command') {
      if (run.child.stdin?.writable) return this.#write(run, `${stop.value}\n`)
      return this.#signalGroup(run, 'SIGTERM')
    }
    if (stop.type === 'stop') return this.#signalGroup(run, 'SIGTERM')
    if (stop.type === '') {
      this.#logger.warn('no stop configuration detected for environment, killing the process')
    }
    this.#signalGroup(run, stop.type === 'signal' ? signalByName(stop.value) : 'SIGKILL')
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
    const run = this.#run
    if (!run) return
    const outcome = await new Promise<'stopped' | 'timeout' | 'aborted'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs)
      const onAbort = (): void => resolve('aborted')
      signal?.addEventListener('abort', onAbort, { once: true })
      void run.finished.then(() => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        resolve('stopped')
      })
    })
    if (outcome === 'stopped') return
    if (outcome === 'aborted') throw signal?.reason
    if (!kill) throw new TimeoutError('The server process did not stop in time.')
    this.#logger.warn('process stop did not complete in time, terminating process', {
      timeout_ms: timeoutMs,
    })
    await this.kill()
  }

  async kill(): Promise<void> {
    const run = this.#run
    if (!run) return
    this.#signalGroup(run, 'SIGKILL')
    await run.finished
  }

  async destroy(): Promise<void> {
    await this.kill()
    this.#created = false
    this.#lastExit = undefined
  }

  detach(): void {
    if (this.#run) this.#run.muted = true
  }

  async sendCommand(command: string): Promise<void> {
    const run = this.#run
    if (!run || run.ended || run.muted || !run.child.stdin?.writable) {
      throw new NotRunningError('Cannot send commands to a stopped server instance.')
    }
    await this.#write(run, `${command}\n`)
  }

  readLog(lines: number): Promise<string[]> {
    if (!Number.isSafeInteger(lines) || lines < 1) {
      throw new RangeError(`lines must be a positive integer, got ${lines}`)
    }
    return Promise.resolve(this.#log.last(lines))
  }

  uptime(): Promise<number> {
    const run = this.#run
    return Promise.resolve(run && !run.ended ? Math.max(0, Date.now() - run.startedAt) : 0)
  }

  exitState(): Promise<ExitState> {
    return Promise.resolve(this.#lastExit ?? MISSING_EXIT)
  }

  /** Nothing to apply: plain processes get no resource limits. */
  updateResources(): Promise<void> {
    return Promise.resolve()
  }

  #isRunning(): boolean {
    return this.#run !== undefined && !this.#run.ended
  }

  #variables(): Record<string, string> {
    const variables: Record<string, string> = { ...this.#host.baseVariables, HOME: this.#root }
    for (const v of this.#installer?.variables ?? this.#settings.variables) {
      variables[v.name] = v.value
    }
    return variables
  }

  #command(): { file: string; args: string[] } {
    if (this.#installer) {
      const script = path.join(this.#installer.scriptDirectory, 'install.sh')
      return { file: this.#installer.entrypoint, args: [script] }
    }
    return { file: this.#host.shell, args: ['-c', startupScript(this.#settings.invocation)] }
  }

  async #spawn(): Promise<Run> {
    const { file, args } = this.#command()
    // A session of its own, so signals reach every process the server starts.
    const child = spawn(file, args, {
      cwd: this.#root,
      env: this.#variables(),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    })
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', (err) =>
        reject(new Error(`environment/process: failed to start ${file}`, { cause: err })),
      )
    })
    const emitLine = (line: string): void => {
      this.#log.push(line)
      if (!run.muted) this.#events.emit('output', line)
    }
    const out = new ConsoleLineSplitter(emitLine)
    const err = new ConsoleLineSplitter(emitLine)
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk))
    child.stdin?.on('error', (error) => this.#logger.debug('stdin error', { err: error }))
    child.on('error', (error) => this.#logger.warn('process error', { err: error }))

    const pipesClosed = Promise.all([closed(child.stdout), closed(child.stderr)])
    const exited = new Promise<ExitState>((resolve) => {
      child.once('exit', (code, signal) => {
        const signalNumber = signal ? (constants.signals[signal] ?? 9) : 0
        resolve({ exitCode: code ?? 128 + signalNumber, oomKilled: false })
      })
    })
    const finished = exited.then(async (exit) => {
      // Descendants that keep the pipes open die with the main process, as in a container.
      const grace = new Promise<'grace'>((resolve) =>
        setTimeout(() => resolve('grace'), PIPE_GRACE_MS),
      )
      if ((await Promise.race([pipesClosed, grace])) === 'grace') {
        this.#signalGroup(run, 'SIGKILL', true)
        await pipesClosed
      }
      out.end()
      err.end()
      this.#endRun(run, exit)
    })
    const run: Run = {
      child,
      startedAt: Date.now(),
      muted: false,
      ended: false,
      finished,
      stats: undefined,
      lastCpu: undefined,
    }
    this.#run = run
    this.#host.running.add(this)
    return run
  }

  #endRun(run: Run, exit: ExitState): void {
    run.ended = true
    if (this.#run === run) this.#host.running.delete(this)
    if (run.stats) clearInterval(run.stats)
    // Anything left in the session goes too (a daemonised child would otherwise outlive it).
    this.#signalGroup(run, 'SIGKILL', true)
    this.#lastExit = exit
    this.#sample = ZERO_RESOURCE_SAMPLE
    if (!run.muted) this.#events.emit('exited', exit)
  }

  /** Signals every process of the run's group; `force` also signals after the main one ended. */
  #signalGroup(run: Run, signal: NodeJS.Signals, force = false): void {
    const pid = run.child.pid
    if (pid === undefined || (run.ended && !force)) return
    try {
      process.kill(-pid, signal)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
  }

  #write(run: Run, data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = run.child.stdin
      if (!stdin?.writable) {
        reject(new NotRunningError('Cannot send commands to a stopped server instance.'))
        return
      }
      stdin.write(data, (err) =>
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

  async #sampleStats(run: Run): Promise<void> {
    const pid = run.child.pid
    if (pid === undefined || run.ended) return
    const usage = await readProcessTreeUsage(pid).catch(() => undefined)
    if (!usage || run.ended || this.#run !== run) return
    const now = Date.now()
    const previous = run.lastCpu
    run.lastCpu = { ticks: usage.cpuTicks, at: now }
    let cpuAbsolute = 0
    if (previous && now > previous.at && usage.cpuTicks > previous.ticks) {
      // Ticks per second over ticks per core-second, in percent of one core.
      const perSecond = ((usage.cpuTicks - previous.ticks) * 1000) / (now - previous.at)
      cpuAbsolute = Math.round((perSecond / CLOCK_TICKS_PER_SECOND) * 100 * 1000) / 1000
    }
    this.#sample = {
      memoryBytes: usage.rssBytes,
      memoryLimitBytes: totalmem(),
      cpuAbsolute,
      network: { rxBytes: 0, txBytes: 0 },
      uptime: now - run.startedAt,
    }
    if (!run.muted) this.#events.emit('stats', this.#sample)
  }
}

function closed(stream: NodeJS.ReadableStream | null): Promise<void> {
  if (!stream) return Promise.resolve()
  return new Promise((resolve) => stream.once('close', () => resolve()))
}

/** SIGABRT, SIGINT or SIGTERM by name (any case, `C`/`^C` = SIGINT); SIGKILL for anything else. */
function signalByName(value: string): NodeJS.Signals {
  const name = value.trim().toUpperCase()
  if (name === 'C' || name === '^C') return 'SIGINT'
  const bare = name.startsWith('SIG') ? name.slice(3) : name
  if (bare === 'ABRT' || bare === 'INT' || bare === 'TERM') return `SIG${bare}`
  return 'SIGKILL'
}
