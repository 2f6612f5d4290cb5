import path from 'node:path'

import type {
  Allocations,
  BuildLimits,
  EnvironmentSettings,
  EnvironmentVariable,
  InstallerSettings,
  Mount,
} from '@node/server-state'
import type Docker from 'dockerode'

import type {
  ContainerHostSettings,
  DockerNetworkOptions,
  MemoryOverhead,
} from './docker-environment-options.js'

/** Where the server's files appear inside its container. */
const SERVER_ROOT_IN_CONTAINER = '/home/container'

// Capabilities Wings drops from every server container (behaviour §6.3).
const DROPPED_CAPABILITIES = [
  'setpcap',
  'mknod',
  'audit_write',
  'net_raw',
  'dac_override',
  'fowner',
  'fsetid',
  'net_bind_service',
  'sys_chroot',
  'setfcap',
]

/** The container resources of Docker's create and update calls. */
export type ContainerResources = Pick<
  Docker.HostConfig,
  | 'Memory'
  | 'MemoryReservation'
  | 'MemorySwap'
  | 'BlkioWeight'
  | 'OomKillDisable'
  | 'PidsLimit'
  | 'CpuQuota'
  | 'CpuPeriod'
  | 'CpuShares'
  | 'CpusetCpus'
>

/** The memory overhead multiplier of behaviour §6.1 for a limit in MiB. */
export function memoryMultiplier(memoryLimit: number, overhead: MemoryOverhead): number {
  if (!overhead.override) {
    if (memoryLimit <= 2048) return 1.15
    if (memoryLimit <= 4096) return 1.1
    return 1.05
  }
  const steps = Object.entries(overhead.multipliers)
    .map(([limit, multiplier]) => [Number(limit), multiplier] as const)
    .filter(([limit]) => Number.isFinite(limit))
    .sort((a, b) => a[0] - b[0])
  for (const [limit, multiplier] of steps) {
    if (memoryLimit <= limit) return multiplier
  }
  return overhead.defaultMultiplier
}

/**
 * Docker resources for `limits` (behaviour §6.1): memory in decimal MB with the overhead, swap on
 * top of it, CPU fields only when limited (Java reads them), pinning only when set.
 * `pidsLimit` undefined leaves pids unlimited (install containers).
 */
export function containerResources(
  limits: BuildLimits,
  overhead: MemoryOverhead,
  pidsLimit: number | undefined,
): ContainerResources {
  const memory = Math.round(
    limits.memoryLimit * memoryMultiplier(limits.memoryLimit, overhead) * 1e6,
  )
  const resources: ContainerResources = {
    Memory: memory,
    MemoryReservation: limits.memoryLimit * 1_000_000,
    MemorySwap: limits.swap < 0 ? -1 : limits.swap * 1_000_000 + memory,
    BlkioWeight: limits.ioWeight,
    OomKillDisable: limits.oomDisabled,
    ...(pidsLimit === undefined ? {} : { PidsLimit: pidsLimit }),
  }
  if (limits.cpuLimit > 0) {
    resources.CpuQuota = limits.cpuLimit * 1_000
    resources.CpuPeriod = 100_000
    resources.CpuShares = 1024
  }
  if (limits.threads !== '') resources.CpusetCpus = limits.threads
  return resources
}

/**
 * Every allocation published on TCP and UDP at its IP. Allocations on 127.0.0.1 are published on
 * the network's interface instead (so other containers reach them), or dropped under ISPN.
 */
export function portBindings(
  allocations: Allocations,
  network: Pick<DockerNetworkOptions, 'interface' | 'ispn'>,
): { exposed: Record<string, object>; bindings: Docker.PortMap } {
  const bindings: Docker.PortMap = {}
  for (const [ip, ports] of Object.entries(allocations.mappings)) {
    for (const port of ports) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) continue
      const local = ip === '127.0.0.1'
      for (const key of [`${port}/tcp`, `${port}/udp`]) {
        const list = (bindings[key] ??= []) as { HostIp: string; HostPort: string }[]
        if (local && network.ispn) continue
        list.push({ HostIp: local ? network.interface : ip, HostPort: String(port) })
      }
    }
  }
  const exposed: Record<string, object> = {}
  for (const key of Object.keys(bindings)) exposed[key] = {}
  return { exposed, bindings }
}

/** A Panel mount left out of the container, with why (for the log). */
export interface RefusedMount {
  readonly mount: Mount
  readonly reason: string
}

/**
 * The Panel mounts that may be bound into a server's container, sources and targets cleaned:
 * absolute paths without `..` segments, the source under an allowed directory (by path segment:
 * `/srv/shared2` is not under `/srv/shared`, unlike Wings' string prefix), and a target that
 * leaves the container whole: not the server's own directory or a parent of it, not its /tmp,
 * not the target of an earlier mount. Docker refuses a whole container for a bad mount, so a bad
 * one is left out rather than passed on.
 */
export function permittedMounts(
  mounts: readonly Mount[],
  allowed: readonly string[],
): { permitted: Mount[]; refused: RefusedMount[] } {
  const roots = allowed.filter((dir) => path.posix.isAbsolute(dir)).map(cleanPath)
  const permitted: Mount[] = []
  const refused: RefusedMount[] = []
  for (const mount of mounts) {
    const reason =
      pathProblem('source', mount.source) ??
      pathProblem('target', mount.target) ??
      placementProblem(cleanPath(mount.source), cleanPath(mount.target), roots, permitted)
    if (reason === undefined) {
      permitted.push({
        source: cleanPath(mount.source),
        target: cleanPath(mount.target),
        readOnly: mount.readOnly,
      })
    } else {
      refused.push({ mount, reason })
    }
  }
  return { permitted, refused }
}

function pathProblem(which: 'source' | 'target', p: string): string | undefined {
  if (!path.posix.isAbsolute(p)) return `the ${which} is not an absolute path`
  // Refused, not resolved: a name with `..` does not say where its author meant it to go.
  if (p.split('/').includes('..')) return `the ${which} has a ".." segment`
  return undefined
}

function placementProblem(
  source: string,
  target: string,
  roots: readonly string[],
  earlier: readonly Mount[],
): string | undefined {
  if (!roots.some((root) => isWithin(source, root))) {
    return 'the source is not under an allowed mount directory'
  }
  if (isWithin(SERVER_ROOT_IN_CONTAINER, target)) {
    return "the target is the server's own directory or one of its parents"
  }
  if (isWithin(target, '/tmp')) return "the target is the container's /tmp"
  if (earlier.some((m) => m.target === target)) return 'another mount has the same target'
  return undefined
}

/** The variables as `NAME=value`, with `SERVER_IP=127.0.0.1` moved to `serverIp` when given. */
export function containerEnv(
  variables: readonly EnvironmentVariable[],
  localServerIp?: string,
): string[] {
  return variables.map((v) =>
    v.name === 'SERVER_IP' && v.value === '127.0.0.1' && localServerIp !== undefined
      ? `SERVER_IP=${localServerIp}`
      : `${v.name}=${v.value}`,
  )
}

/** The image reference to run: without the leading `~` that marks a local-only image. */
export function imageReference(image: string): string {
  return image.startsWith('~') ? image.slice(1) : image
}

/** The bridge network of a server with `force_outgoing_ip` (behaviour §6.3). */
export function outgoingIpNetworkName(ip: string): string {
  return `ip-${ip.replaceAll('.', '-').replaceAll(':', '-')}`
}

/** The container of server `id` (behaviour §6.3); each Panel mount left out goes to `onRefused`. */
export function serverContainerSpec(
  id: string,
  settings: EnvironmentSettings,
  host: ContainerHostSettings,
  onRefused: (refused: RefusedMount) => void = () => undefined,
): Docker.ContainerCreateOptions {
  const { network } = host
  const { exposed, bindings } = portBindings(settings.allocations, network)
  const { permitted, refused } = permittedMounts(settings.mounts, host.allowedMounts)
  refused.forEach(onRefused)
  return {
    name: id,
    Hostname: id,
    Domainname: host.domainname,
    User: `${host.user.uid}:${host.user.gid}`,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    Tty: true,
    ExposedPorts: exposed,
    Image: imageReference(settings.image),
    Env: containerEnv(settings.variables, network.interface),
    Labels: { ...settings.labels, Service: 'Pterodactyl', ContainerType: 'server_process' },
    HostConfig: {
      PortBindings: bindings,
      Mounts: [
        {
          Type: 'bind',
          Source: path.join(host.dataDirectory, id),
          Target: SERVER_ROOT_IN_CONTAINER,
          ReadOnly: false,
        },
        ...permitted.map((m) => ({
          Type: 'bind' as const,
          Source: m.source,
          Target: m.target,
          ReadOnly: m.readOnly,
        })),
      ],
      Tmpfs: { '/tmp': `rw,exec,nosuid,size=${host.tmpfsSizeMiB}M` },
      ...containerResources(settings.limits, host.overhead, host.containerPidLimit),
      Dns: [...network.dns],
      LogConfig: { Type: host.logConfig.type, Config: { ...host.logConfig.config } },
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      CapDrop: [...DROPPED_CAPABILITIES],
      NetworkMode: settings.allocations.forceOutgoingIp
        ? outgoingIpNetworkName(settings.allocations.default.ip)
        : network.networkMode,
      ...(host.usernsMode === '' ? {} : { UsernsMode: host.usernsMode }),
    },
  }
}

/**
 * The install container of server `id` (behaviour §5.1): the image's own user, the server's files
 * at /mnt/server, the script at /mnt/install, limits raised to the installer minimums, no pids limit.
 */
export function installerContainerSpec(
  id: string,
  settings: InstallerSettings,
  host: ContainerHostSettings,
): Docker.ContainerCreateOptions {
  const limits = installerBuildLimits(settings.limits, host.installerLimits)
  return {
    name: installerContainerName(id),
    Hostname: 'installer',
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    Tty: true,
    Cmd: [settings.entrypoint, '/mnt/install/install.sh'],
    Image: imageReference(settings.image),
    Env: containerEnv(settings.variables),
    Labels: { Service: 'Pterodactyl', ContainerType: 'server_installer' },
    HostConfig: {
      Mounts: [
        {
          Type: 'bind',
          Source: path.join(host.dataDirectory, id),
          Target: '/mnt/server',
          ReadOnly: false,
        },
        { Type: 'bind', Source: settings.scriptDirectory, Target: '/mnt/install', ReadOnly: false },
      ],
      Tmpfs: { '/tmp': `rw,exec,nosuid,size=${host.tmpfsSizeMiB}M` },
      ...containerResources(limits, host.overhead, undefined),
      Dns: [...host.network.dns],
      LogConfig: { Type: host.logConfig.type, Config: { ...host.logConfig.config } },
      NetworkMode: host.network.networkMode,
      ...(host.usernsMode === '' ? {} : { UsernsMode: host.usernsMode }),
    },
  }
}

export function installerContainerName(id: string): string {
  return `${id}_installer`
}

/** The server's limits raised to the installer's: the larger memory; CPU unlimited or the larger. */
export function installerBuildLimits(
  limits: BuildLimits,
  installer: { readonly memory: number; readonly cpu: number },
): BuildLimits {
  let cpuLimit = limits.cpuLimit
  if (installer.cpu === 0) cpuLimit = 0
  else if (cpuLimit !== 0 && cpuLimit < installer.cpu) cpuLimit = installer.cpu
  return { ...limits, memoryLimit: Math.max(limits.memoryLimit, installer.memory), cpuLimit }
}

function cleanPath(p: string): string {
  const normal = path.posix.normalize(p)
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal
}

function isWithin(child: string, root: string): boolean {
  return root === '/' || child === root || child.startsWith(`${root}/`)
}
