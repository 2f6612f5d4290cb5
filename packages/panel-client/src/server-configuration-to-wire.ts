import type { EnvironmentValue, ServerConfiguration } from '@node/server-state'

/** The `configuration` object of `GET /api/servers/:server` (http-api.md §6.1), key order as sent. */
export interface ServerConfigurationWire {
  readonly uuid: string
  readonly meta: { readonly name: string; readonly description: string }
  readonly suspended: boolean
  readonly invocation: string
  readonly skip_egg_scripts: boolean
  readonly environment: Readonly<Record<string, EnvironmentValue>>
  readonly labels: Readonly<Record<string, string>> | null
  readonly allocations: {
    readonly force_outgoing_ip: boolean
    readonly default: { readonly ip: string; readonly port: number }
    readonly mappings: Readonly<Record<string, readonly number[]>>
  }
  readonly build: {
    readonly memory_limit: number
    readonly swap: number
    readonly io_weight: number
    readonly cpu_limit: number
    readonly disk_space: number
    readonly threads: string
    readonly oom_disabled: boolean
  }
  readonly crash_detection_enabled: boolean
  readonly mounts: readonly {
    readonly target: string
    readonly source: string
    readonly read_only: boolean
  }[]
  readonly egg: { readonly id: string; readonly file_denylist: readonly string[] }
  readonly container: { readonly image?: string }
}

export interface ServerConfigurationToWireOptions {
  /** The node's `system.crash_detection.enabled`, used when the Panel sent no override. Default true. */
  readonly crashDetectionEnabled?: boolean
}

/**
 * The daemon's view of a server's Panel settings, re-serialised as the reference does for
 * `GET /api/servers/:server`: struct key order, map keys sorted (Go's encoder sorts them),
 * `labels` null when the Panel sent none, `container.image` omitted when empty.
 */
export function serverConfigurationToWire(
  config: ServerConfiguration,
  options: ServerConfigurationToWireOptions = {},
): ServerConfigurationWire {
  const s = config.settings
  return {
    uuid: s.uuid,
    meta: { name: s.meta.name, description: s.meta.description },
    suspended: s.suspended,
    invocation: s.invocation,
    skip_egg_scripts: s.skipEggScripts,
    environment: sortedByKey(s.environment),
    labels: s.labels === null ? null : sortedByKey(s.labels),
    allocations: {
      force_outgoing_ip: s.allocations.forceOutgoingIp,
      default: { ip: s.allocations.default.ip, port: s.allocations.default.port },
      mappings: sortedByKey(s.allocations.mappings, (ports) => [...ports]),
    },
    build: {
      memory_limit: s.build.memoryLimit,
      swap: s.build.swap,
      io_weight: s.build.ioWeight,
      cpu_limit: s.build.cpuLimit,
      disk_space: s.build.diskSpace,
      threads: s.build.threads,
      oom_disabled: s.build.oomDisabled,
    },
    crash_detection_enabled: s.crashDetectionEnabled ?? options.crashDetectionEnabled ?? true,
    mounts: s.mounts.map((m) => ({ target: m.target, source: m.source, read_only: m.readOnly })),
    egg: { id: s.egg.id, file_denylist: [...s.egg.fileDenylist] },
    container: s.container.image === '' ? {} : { image: s.container.image },
  }
}

function sortedByKey<T, U = T>(
  map: Readonly<Record<string, T>>,
  copy: (value: T) => U = (value) => value as unknown as U,
): Record<string, U> {
  const sorted: Record<string, U> = {}
  // Go sorts map keys by their bytes; code-unit order is the same for the ASCII keys seen here.
  for (const key of Object.keys(map).sort()) sorted[key] = copy(map[key] as T)
  return sorted
}
