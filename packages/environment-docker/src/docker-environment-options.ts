import type { Logger } from '@node/shared-kernel'
import type Docker from 'dockerode'

/**
 * Node-wide settings of every container this adapter makes (Wings' `docker.*` keys of config.yml,
 * behaviour §6 and §15). Every field but `dataDirectory` has Wings' default.
 */
export interface DockerEnvironmentOptions {
  /** A dockerode client, or the path of the engine's unix socket (default `/var/run/docker.sock`). */
  readonly docker?: Docker | string
  /** `system.data`: the files of server `<id>` are `<dataDirectory>/<id>`, mounted at /home/container. */
  readonly dataDirectory: string
  readonly network?: Partial<DockerNetworkOptions>
  /** `docker.domainname`. */
  readonly domainname?: string
  /** `docker.tmpfs_size`: MiB of the tmpfs mounted at /tmp (default 100). */
  readonly tmpfsSizeMiB?: number
  /** `docker.container_pid_limit` (default 512); server containers only. */
  readonly containerPidLimit?: number
  /** `docker.log_config` (default: driver `local`, 5 MB, one file, non-blocking). */
  readonly logConfig?: DockerLogConfig
  /** `docker.registries`: credentials of the first registry that is a prefix of the image. */
  readonly registries?: Readonly<Record<string, RegistryCredentials>>
  /** The user server processes run as: `system.user.uid/gid`, or the rootless container ids. */
  readonly user?: { readonly uid: number; readonly gid: number }
  /** `docker.userns_mode` (default empty: the engine's default). */
  readonly usernsMode?: string
  /** `docker.overhead`: how much memory a container gets above the server's limit. */
  readonly overhead?: MemoryOverhead
  /** `allowed_mounts`: a Panel mount is used only when its source lies under one of these. */
  readonly allowedMounts?: readonly string[]
  /** `docker.installer_limits`: the least an install container gets. */
  readonly installerLimits?: InstallerLimits
  readonly logger?: Logger
  /** How long an image pull may take (default 15 minutes). */
  readonly pullTimeoutMs?: number
  /** How long attaching to a container may take when starting it (default 30 s). */
  readonly attachTimeoutMs?: number
}

/** `docker.network.*` (behaviour §6.4). */
export interface DockerNetworkOptions {
  /** The network the daemon creates at boot (default `pterodactyl_nw`). */
  readonly name: string
  /** Its driver (default `bridge`). */
  readonly driver: string
  /** The containers' network mode (default `pterodactyl_nw`). */
  readonly networkMode: string
  /** Host address that allocations on 127.0.0.1 are published on instead (default `172.18.0.1`). */
  readonly interface: string
  /** Drop 127.0.0.1 allocations instead (overlay networks); default false. */
  readonly ispn: boolean
  readonly dns: readonly string[]
  readonly isInternal: boolean
  readonly enableIcc: boolean
  readonly mtu: number
  /** The Linux bridge of the network (Wings always uses `pterodactyl0`). */
  readonly bridgeName: string
  /** Whether the network gets the IPv6 subnet as well (Wings: always). */
  readonly enableIpv6: boolean
  readonly v4: { readonly subnet: string; readonly gateway: string }
  readonly v6: { readonly subnet: string; readonly gateway: string }
}

export interface DockerLogConfig {
  readonly type: string
  readonly config: Readonly<Record<string, string>>
}

export interface RegistryCredentials {
  readonly username: string
  readonly password: string
}

/** `docker.overhead`; with `override` false the fixed 15/10/5% steps of Wings apply. */
export interface MemoryOverhead {
  readonly override: boolean
  readonly defaultMultiplier: number
  /** Memory limit in MiB → multiplier; the smallest key ≥ the server's limit applies. */
  readonly multipliers: Readonly<Record<string, number>>
}

export interface InstallerLimits {
  /** MiB. */
  readonly memory: number
  /** Percent of one core; 0 = unlimited. */
  readonly cpu: number
}

/** What `DockerEnvironmentFactory.ensureNetwork` found or made; Wings writes it back to config.yml. */
export interface DockerNetworkState {
  readonly driver: string
  readonly interface: string
  readonly ispn: boolean
  /** Whether the network had to be created. */
  readonly created: boolean
}

export const DEFAULT_NETWORK: DockerNetworkOptions = Object.freeze({
  name: 'pterodactyl_nw',
  driver: 'bridge',
  networkMode: 'pterodactyl_nw',
  interface: '172.18.0.1',
  ispn: false,
  dns: Object.freeze(['1.1.1.1', '1.0.0.1']),
  isInternal: false,
  enableIcc: true,
  mtu: 1500,
  bridgeName: 'pterodactyl0',
  enableIpv6: true,
  v4: Object.freeze({ subnet: '172.18.0.0/16', gateway: '172.18.0.1' }),
  v6: Object.freeze({ subnet: 'fdba:17c8:6c94::/64', gateway: 'fdba:17c8:6c94::1011' }),
})

export const DEFAULT_LOG_CONFIG: DockerLogConfig = Object.freeze({
  type: 'local',
  config: Object.freeze({
    'max-size': '5m',
    'max-file': '1',
    compress: 'false',
    mode: 'non-blocking',
  }),
})

export const DEFAULT_OVERHEAD: MemoryOverhead = Object.freeze({
  override: false,
  defaultMultiplier: 1.05,
  multipliers: Object.freeze({}),
})

/** The node-wide settings a container specification is built from, every default filled in. */
export interface ContainerHostSettings {
  readonly dataDirectory: string
  readonly network: DockerNetworkOptions
  readonly domainname: string
  readonly tmpfsSizeMiB: number
  readonly containerPidLimit: number
  readonly logConfig: DockerLogConfig
  readonly user: { readonly uid: number; readonly gid: number }
  readonly usernsMode: string
  readonly overhead: MemoryOverhead
  readonly allowedMounts: readonly string[]
  readonly installerLimits: InstallerLimits
}

/** Fills in Wings' defaults; throws a RangeError naming the first option that is out of range. */
export function resolveHostSettings(options: DockerEnvironmentOptions): ContainerHostSettings {
  if (typeof options.dataDirectory !== 'string' || !options.dataDirectory.startsWith('/')) {
    throw new RangeError(`dataDirectory must be an absolute path, got ${options.dataDirectory}`)
  }
  const settings: ContainerHostSettings = {
    dataDirectory: options.dataDirectory,
    network: { ...DEFAULT_NETWORK, ...options.network },
    domainname: options.domainname ?? '',
    tmpfsSizeMiB: options.tmpfsSizeMiB ?? 100,
    containerPidLimit: options.containerPidLimit ?? 512,
    logConfig: options.logConfig ?? DEFAULT_LOG_CONFIG,
    user: options.user ?? { uid: 988, gid: 988 },
    usernsMode: options.usernsMode ?? '',
    overhead: options.overhead ?? DEFAULT_OVERHEAD,
    allowedMounts: options.allowedMounts ?? [],
    installerLimits: options.installerLimits ?? { memory: 1024, cpu: 100 },
  }
  for (const [name, value] of [
    ['tmpfsSizeMiB', settings.tmpfsSizeMiB],
    ['containerPidLimit', settings.containerPidLimit],
    ['user.uid', settings.user.uid],
    ['user.gid', settings.user.gid],
    ['installerLimits.memory', settings.installerLimits.memory],
    ['installerLimits.cpu', settings.installerLimits.cpu],
    ['network.mtu', settings.network.mtu],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a non-negative integer, got ${value}`)
    }
  }
  return settings
}
