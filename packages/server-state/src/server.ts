import { nullLogger, type Logger } from '@node/shared-kernel'

import { ConsoleBuffer } from './console-buffer.js'
import {
  ZERO_RESOURCE_SAMPLE,
  type ResourceSample,
  type ResourceUsage,
} from './model/resource-usage.js'
import type { ServerConfiguration } from './model/server-configuration.js'
import { isServerState, type ServerState } from './model/server-state.js'
import {
  InvalidConfigurationError,
  validateServerConfiguration,
} from './model/validate-server-configuration.js'
import { ServerEventBus } from './server-event-bus.js'

export interface ServerOptions {
  /** The Panel's configuration of this server; validated like `applyConfiguration`. */
  readonly configuration: ServerConfiguration
  /** Bound to `server_id` for this server. */
  readonly logger?: Logger
  /** Console lines kept (default DEFAULT_CONSOLE_LINES). */
  readonly consoleLines?: number
}

/**
 * One game server on this node: its Panel configuration, process state, flags, cached usage,
 * event bus and console history. Pure state: it never talks to Docker, the disk or the Panel.
 */
export class Server {
  readonly uuid: string
  readonly logger: Logger
  /** Every event of this server (websocket.md §6); closed by `cancel()`. */
  readonly events: ServerEventBus
  /** The last console lines published as `console output`. */
  readonly console: ConsoleBuffer
  readonly #context = new AbortController()
  #configuration: ServerConfiguration
  #state: ServerState = 'offline'
  #forcedSuspended = false
  #installing = false
  #transferring = false
  #restoring = false
  #diskBytes = 0
  #sample: ResourceSample = ZERO_RESOURCE_SAMPLE

  /** Throws InvalidConfigurationError when the configuration is not valid. */
  constructor(options: ServerOptions) {
    this.#configuration = validateServerConfiguration(options.configuration)
    this.uuid = this.#configuration.settings.uuid
    this.logger = (options.logger ?? nullLogger).child({ server_id: this.uuid })
    this.events = new ServerEventBus({ logger: this.logger })
    this.console = new ConsoleBuffer({ lines: options.consoleLines })
    this.events.subscribe('console output', (line) => this.console.push(line))
  }

  /** The configuration last applied; deep-frozen, replaced as a whole. */
  get configuration(): ServerConfiguration {
    return this.#configuration
  }

  /**
   * Replaces the configuration as a whole. The new one is checked first (its uuid must be this
   * server's); on InvalidConfigurationError nothing has changed.
   */
  applyConfiguration(configuration: ServerConfiguration): void {
    const next = validateServerConfiguration(configuration)
    if (next.settings.uuid !== this.uuid) {
      throw new InvalidConfigurationError([
        `settings.uuid must be ${this.uuid}, got ${next.settings.uuid}`,
      ])
    }
    this.#configuration = next
  }

  get state(): ServerState {
    return this.#state
  }

  /**
   * Sets the process state and returns the previous one. A change publishes `status`; entering
   * `offline` also zeroes the resource counters and publishes `stats` (behaviour §2).
   */
  setState(next: ServerState): ServerState {
    if (!isServerState(next)) throw new TypeError(`not a server state: ${String(next)}`)
    const previous = this.#state
    if (next === previous) return previous
    this.#state = next
    this.events.publish('status', next)
    if (next === 'offline') {
      this.#sample = ZERO_RESOURCE_SAMPLE
      this.events.publish('stats', this.resourceUsage())
    }
    return previous
  }

  /** Suspended by the Panel, or forced in memory (during delete or restore). */
  get isSuspended(): boolean {
    return this.#forcedSuspended || this.#configuration.settings.suspended
  }

  /** Forces (or stops forcing) the suspended flag in memory, whatever the Panel says. */
  forceSuspended(forced = true): void {
    this.#forcedSuspended = forced
  }

  get isInstalling(): boolean {
    return this.#installing
  }
  setInstalling(value: boolean): void {
    this.#installing = value
  }

  get isTransferring(): boolean {
    return this.#transferring
  }
  setTransferring(value: boolean): void {
    this.#transferring = value
  }

  get isRestoring(): boolean {
    return this.#restoring
  }
  setRestoring(value: boolean): void {
    this.#restoring = value
  }

  /** The cached disk usage in bytes, as last measured by the filesystem. */
  get diskBytes(): number {
    return this.#diskBytes
  }
  setDiskBytes(bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new RangeError(`disk usage must be a non-negative integer, got ${bytes}`)
    }
    this.#diskBytes = bytes
  }

  /** The current usage with the current state and cached disk usage; zeroes when offline. */
  resourceUsage(): ResourceUsage {
    const s = this.#sample
    return {
      memoryBytes: s.memoryBytes,
      memoryLimitBytes: s.memoryLimitBytes,
      cpuAbsolute: s.cpuAbsolute,
      network: { rxBytes: s.network.rxBytes, txBytes: s.network.txBytes },
      uptime: s.uptime,
      state: this.#state,
      diskBytes: this.#diskBytes,
    }
  }

  /**
   * Takes one sample of the stats stream and publishes `stats`. Ignored (returns false) while
   * offline, so a late sample cannot undo the zeroing. Negative or non-finite counters become 0.
   */
  recordResourceSample(sample: ResourceSample): boolean {
    if (this.#state === 'offline') return false
    this.#sample = {
      memoryBytes: counter(sample.memoryBytes),
      memoryLimitBytes: counter(sample.memoryLimitBytes),
      cpuAbsolute: counter(sample.cpuAbsolute),
      network: {
        rxBytes: counter(sample.network.rxBytes),
        txBytes: counter(sample.network.txBytes),
      },
      uptime: counter(sample.uptime),
    }
    this.events.publish('stats', this.resourceUsage())
    return true
  }

  /** Aborted when the server is deleted; bind long work (install, backup, restore) to it. */
  get signal(): AbortSignal {
    return this.#context.signal
  }

  get isCancelled(): boolean {
    return this.#context.signal.aborted
  }

  /**
   * Ends the server's life: aborts `signal` (its abort listeners run first) and then closes the
   * event bus, so nothing published afterwards reaches anyone. Publish `deleted` before this.
   */
  cancel(reason: unknown = new Error('server deleted')): void {
    if (this.isCancelled) return
    this.#context.abort(reason)
    this.events.close()
  }
}

function counter(value: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0
}
