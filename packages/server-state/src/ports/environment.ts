import type { ResourceSample } from '../model/resource-usage.js'
import type {
  Allocations,
  BuildLimits,
  EnvironmentValue,
  Mount,
  ProcessConfiguration,
  ServerConfiguration,
} from '../model/server-configuration.js'

/**
 * Everything one server's runtime is built from (behaviour §6), in domain form. Derived from the
 * server's configuration by `environmentSettingsOf`; node-wide settings (network, registries,
 * tmpfs, pid limit, user…) are the adapter's options instead.
 */
export interface EnvironmentSettings {
  /** The container image; a leading `~` marks a local image that is never pulled. */
  readonly image: string
  /** The startup command with its `{{VAR}}` placeholders still in it (`STARTUP`). */
  readonly invocation: string
  /** The process environment in behaviour §6.2 order, values formatted; see `environmentVariables`. */
  readonly variables: readonly EnvironmentVariable[]
  readonly limits: BuildLimits
  readonly allocations: Allocations
  /** Extra mounts the Panel asks for; adapters keep only those under an allowed prefix. */
  readonly mounts: readonly Mount[]
  /** Extra container labels (the Panel's); adapters add their own. */
  readonly labels: Readonly<Record<string, string>>
  /** How a graceful stop asks the process to end (behaviour §3.4). */
  readonly stop: ProcessConfiguration['stop']
}

export interface EnvironmentVariable {
  readonly name: string
  readonly value: string
}

/**
 * What an install script runs with (behaviour §5.1). The adapter names the runtime
 * `<uuid>_installer`, mounts the server's files at /mnt/server and `scriptDirectory` at
 * /mnt/install, runs `[entrypoint, '/mnt/install/install.sh']` as the image's user and raises
 * `limits` to its configured installer minimums.
 */
export interface InstallerSettings {
  readonly image: string
  readonly entrypoint: string
  /** Host directory holding `install.sh`. */
  readonly scriptDirectory: string
  /** The server's variables (behaviour §6.2, without any SERVER_IP rewrite). */
  readonly variables: readonly EnvironmentVariable[]
  /** The server's limits; the adapter raises them, and sets no pids limit. */
  readonly limits: BuildLimits
}

/** How the last run of the process ended. */
export interface ExitState {
  readonly exitCode: number
  readonly oomKilled: boolean
}

/** Progress of an image pull during `create`/`start`; the server publishes it as `install output`. */
export type ImagePullEvent =
  | { readonly kind: 'started'; readonly image: string }
  | { readonly kind: 'progress'; readonly line: string }
  | { readonly kind: 'finished'; readonly image: string }

/** Everything an environment reports, by name, with its payload. */
export interface EnvironmentEvents {
  /** The process runs and is attached: emitted by `start`, and by `attach` when it finds it running. */
  running: undefined
  /** The attached process ended (on its own, stopped or killed), with how; once per run. */
  exited: ExitState
  /** One line of process output without its terminator, cut at 64 KiB; never throttled here. */
  output: string
  /** One sample of the streaming stats (about one a second) while the process runs. */
  stats: ResourceSample
  pull: ImagePullEvent
}

export type EnvironmentEventName = keyof EnvironmentEvents

/** A subscriber; it must be quick and must not throw (a throw is caught and dropped). */
export type EnvironmentListener<K extends EnvironmentEventName> = (
  payload: EnvironmentEvents[K],
) => void

/**
 * One server's runtime: a container (@node/environment-docker) or a child process
 * (@node/environment-process). It reports facts (running, exited, output, stats); the server
 * state machine and crash detection (@node/power) decide what they mean. Methods taking an
 * AbortSignal stop waiting when it aborts and reject with its reason.
 */
export interface Environment {
  /** The server uuid this runtime belongs to. */
  readonly id: string
  /** The settings the next `create`/`start`/`updateResources` uses. */
  readonly settings: EnvironmentSettings
  /** Replaces the settings; touches nothing that runs (behaviour §3.2 preflight step c). */
  configure(settings: EnvironmentSettings): void

  /** Whether a runtime (container) exists for this server, running or not. */
  exists(signal?: AbortSignal): Promise<boolean>
  /** Whether the process is running right now. */
  isRunning(signal?: AbortSignal): Promise<boolean>
  /**
   * Removes any stopped runtime and builds a new one from the current settings, pulling the image
   * when needed; rejects with ConflictError when the process is running.
   */
  create(signal?: AbortSignal): Promise<void>
  /**
   * Connects to a running process's console and stats so `output`, `stats` and `exited` flow
   * (used at boot to adopt a process that outlived the daemon); a no-op when already attached,
   * and resolves without attaching when nothing runs.
   */
  attach(signal?: AbortSignal): Promise<void>
  /**
   * Starts the process: when it already runs, only attaches; otherwise re-creates the runtime
   * from the current settings, attaches before starting so no output is lost, and starts it.
   * Emits `running` once it runs; a failure leaves nothing running.
   */
  start(signal?: AbortSignal): Promise<void>
  /**
   * Asks the process to stop the egg's way (stop command on stdin, a signal, or a native stop);
   * resolves once asked, not once it has exited, and at once when nothing runs.
   */
  stop(signal?: AbortSignal): Promise<void>
  /**
   * Resolves once the process is not running. After `timeoutMs` it kills the process when
   * `kill` is true, else rejects with TimeoutError.
   */
  waitForStop(options: {
    readonly timeoutMs: number
    readonly kill: boolean
    readonly signal?: AbortSignal
  }): Promise<void>
  /** Kills the process at once (SIGKILL) and resolves once it has exited; a no-op when not running. */
  kill(signal?: AbortSignal): Promise<void>
  /** Kills the process if needed and removes the runtime; the server's files are left alone. */
  destroy(signal?: AbortSignal): Promise<void>
  /**
   * Stops listening to the process (console, stats) without touching it, as on daemon shutdown;
   * no more events come until the next `attach` or `start`.
   */
  detach(): void

  /** Writes `command` and a newline to the process's stdin; rejects with NotRunningError when not running. */
  sendCommand(command: string): Promise<void>
  /**
   * The last `lines` lines the process wrote (its log, surviving daemon restarts where it can);
   * empty for a server that never ran, with or without a runtime.
   */
  readLog(lines: number, signal?: AbortSignal): Promise<string[]>
  /** The last stats sample, zeroes when not running; never makes a runtime call. */
  readonly resourceSample: ResourceSample
  /** Milliseconds since the process started, 0 when not running. */
  uptime(signal?: AbortSignal): Promise<number>
  /** How the last run ended; a missing runtime reads as exit code 1, not OOM (behaviour §4). */
  exitState(signal?: AbortSignal): Promise<ExitState>
  /**
   * Applies the current settings' limits to the existing runtime in place (what cannot change in
   * place, such as removing a memory limit, waits for the next start); a no-op without a runtime.
   */
  updateResources(signal?: AbortSignal): Promise<void>

  /** Calls `listener` for every `event`; the returned function unsubscribes. */
  subscribe<K extends EnvironmentEventName>(event: K, listener: EnvironmentListener<K>): () => void
}

/** Makes the runtimes of this node; one adapter per node (Docker or plain processes). */
export interface EnvironmentFactory {
  /** The runtime of server `id`; makes no runtime call (boot creates every one up front). */
  forServer(id: string, settings: EnvironmentSettings): Environment
  /**
   * A throw-away runtime that runs the install script of server `id`: `start` runs it, `exited`
   * reports its end, `readLog` returns its output, `destroy` removes it. Its settings are fixed.
   */
  forInstaller(id: string, settings: InstallerSettings): Environment
}

/** Node-wide inputs of `environmentVariables`. */
export interface EnvironmentVariableOptions {
  /** `system.timezone`, sent as `TZ`. */
  readonly timezone: string
}

/**
 * The process environment of a server (behaviour §6.2): `TZ`, `STARTUP`, `SERVER_MEMORY`,
 * `SERVER_IP`, `SERVER_PORT`, then each Panel variable upper-cased unless that name was already
 * emitted. Numbers are formatted as Go's `%f` does (`25565` → `25565.000000`), as the reference
 * daemon shows them to containers; booleans as `true`/`false`; null as the empty string.
 */
export function environmentVariables(
  configuration: ServerConfiguration,
  options: EnvironmentVariableOptions,
): EnvironmentVariable[] {
  const settings = configuration.settings
  const out: EnvironmentVariable[] = [
    { name: 'TZ', value: options.timezone },
    { name: 'STARTUP', value: settings.invocation },
    { name: 'SERVER_MEMORY', value: String(settings.build.memoryLimit) },
    { name: 'SERVER_IP', value: settings.allocations.default.ip },
    { name: 'SERVER_PORT', value: String(settings.allocations.default.port) },
  ]
  const seen = new Set(out.map((v) => v.name))
  for (const [key, value] of Object.entries(settings.environment)) {
    const name = key.toUpperCase()
    if (seen.has(name)) continue
    seen.add(name)
    out.push({ name, value: formatEnvironmentValue(value) })
  }
  return out
}

/** A Panel variable's value as the reference daemon writes it into the environment. */
export function formatEnvironmentValue(value: EnvironmentValue): string {
  if (value === null) return ''
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') return Number.isFinite(value) ? value.toFixed(6) : String(value)
  return value
}

/** The settings of a server's runtime, taken from its Panel configuration. */
export function environmentSettingsOf(
  configuration: ServerConfiguration,
  options: EnvironmentVariableOptions,
): EnvironmentSettings {
  const settings = configuration.settings
  return {
    image: settings.container.image,
    invocation: settings.invocation,
    variables: environmentVariables(configuration, options),
    limits: settings.build,
    allocations: settings.allocations,
    mounts: settings.mounts,
    labels: settings.labels ?? {},
    stop: configuration.process.stop,
  }
}
