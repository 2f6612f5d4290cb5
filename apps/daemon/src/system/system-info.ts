import { readFile } from 'node:fs/promises'
import os from 'node:os'

import type Docker from 'dockerode'

/** The legacy `GET /api/system` body (http-api §5.1), key order as the reference writes it. */
export interface LegacySystemInfo {
  readonly architecture: string
  readonly cpu_count: number
  readonly kernel_version: string
  readonly os: string
  readonly version: string
}

/** The `?v=2` body (http-api §5.1). */
export interface DetailedSystemInfo {
  readonly version: string
  readonly docker: {
    readonly version: string
    readonly cgroups: { readonly driver: string; readonly version: string }
    readonly containers: {
      readonly total: number
      readonly running: number
      readonly paused: number
      readonly stopped: number
    }
    readonly storage: { readonly driver: string; readonly filesystem: string }
    readonly runc: { readonly version: string }
  }
  readonly system: {
    readonly architecture: string
    readonly cpu_threads: number
    readonly memory_bytes: number
    readonly kernel_version: string
    readonly os: string
    readonly os_type: string
  }
}

// Node's names for CPU architectures, spelled as Go's GOARCH (the Panel shows them).
const GOARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm: 'arm',
  arm64: 'arm64',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
}

function goArchitecture(nodeArch = process.arch): string {
  return GOARCH[nodeArch] ?? nodeArch
}

export function legacySystemInfo(version: string): LegacySystemInfo {
  return {
    architecture: goArchitecture(),
    cpu_count: os.availableParallelism(),
    kernel_version: os.release(),
    os: process.platform,
    version,
  }
}

/**
 * The detailed body. `docker` is undefined when the node runs the process environment: the
 * Docker fields are then empty rather than an error (docs/compatibility.md).
 */
export async function detailedSystemInfo(
  version: string,
  docker: Docker | undefined,
): Promise<DetailedSystemInfo> {
  const osName = await prettyOsName()
  const system = {
    architecture: goArchitecture(),
    cpu_threads: os.availableParallelism(),
    memory_bytes: os.totalmem(),
    kernel_version: os.release(),
    os: osName,
    os_type: process.platform,
  }
  if (docker === undefined) {
    return {
      version,
      docker: {
        version: '',
        cgroups: { driver: '', version: '' },
        containers: { total: 0, running: 0, paused: 0, stopped: 0 },
        storage: { driver: '', filesystem: '' },
        runc: { version: '' },
      },
      system,
    }
  }
  const [info, dockerVersion] = await Promise.all([
    docker.info() as Promise<DockerInfo>,
    docker.version(),
  ])
  const backing = info.DriverStatus?.find(([key]) => key === 'Backing Filesystem')?.[1] ?? ''
  return {
    version,
    docker: {
      version: dockerVersion.Version,
      cgroups: { driver: info.CgroupDriver ?? '', version: info.CgroupVersion ?? '' },
      containers: {
        total: info.Containers ?? 0,
        running: info.ContainersRunning ?? 0,
        paused: info.ContainersPaused ?? 0,
        stopped: info.ContainersStopped ?? 0,
      },
      storage: { driver: info.Driver ?? '', filesystem: backing },
      runc: { version: info.RuncCommit?.ID ?? '' },
    },
    system: { ...system, os: osName === '' ? (info.OperatingSystem ?? '') : osName },
  }
}

interface DockerInfo {
  readonly Containers?: number
  readonly ContainersRunning?: number
  readonly ContainersPaused?: number
  readonly ContainersStopped?: number
  readonly Driver?: string
  readonly DriverStatus?: readonly (readonly [string, string])[]
  readonly CgroupDriver?: string
  readonly CgroupVersion?: string
  readonly OperatingSystem?: string
  readonly RuncCommit?: { readonly ID?: string }
}

/** `PRETTY_NAME` from os-release, else `NAME`, else empty. */
async function prettyOsName(): Promise<string> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '')
  const fields = new Map(
    text
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!.replace(/^"(.*)"$/, '$1')]),
  )
  return fields.get('PRETTY_NAME') ?? fields.get('NAME') ?? ''
}
