import type { BuildLimits, EnvironmentSettings } from '@node/server-state'
import { describe, expect, it } from 'vitest'

import {
  containerEnv,
  containerResources,
  imageReference,
  installerBuildLimits,
  memoryMultiplier,
  outgoingIpNetworkName,
  permittedMounts,
  portBindings,
  serverContainerSpec,
} from './container-spec.js'
import { DEFAULT_OVERHEAD, resolveHostSettings } from './docker-environment-options.js'

const LIMITS: BuildLimits = {
  memoryLimit: 1024,
  swap: 0,
  ioWeight: 500,
  cpuLimit: 0,
  threads: '',
  diskSpace: 0,
  oomDisabled: true,
}

describe('memoryMultiplier', () => {
  it('adds 15% up to 2 GiB, 10% up to 4 GiB and 5% above', () => {
    expect(memoryMultiplier(2048, DEFAULT_OVERHEAD)).toBe(1.15)
    expect(memoryMultiplier(2049, DEFAULT_OVERHEAD)).toBe(1.1)
    expect(memoryMultiplier(4096, DEFAULT_OVERHEAD)).toBe(1.1)
    expect(memoryMultiplier(4097, DEFAULT_OVERHEAD)).toBe(1.05)
  })

  it('uses the smallest overridden step at or above the limit, else the default multiplier', () => {
    const overhead = {
      override: true,
      defaultMultiplier: 1.01,
      multipliers: { '4096': 1.2, '1024': 1.5 },
    }

    expect(memoryMultiplier(512, overhead)).toBe(1.5)
    expect(memoryMultiplier(1024, overhead)).toBe(1.5)
    expect(memoryMultiplier(2000, overhead)).toBe(1.2)
    expect(memoryMultiplier(8192, overhead)).toBe(1.01)
  })
})

describe('containerResources', () => {
  it('sets memory in decimal MB with overhead, swap on top of it, and the pids limit', () => {
    const resources = containerResources({ ...LIMITS, swap: 100 }, DEFAULT_OVERHEAD, 512)

    expect(resources).toEqual({
      Memory: 1_177_600_000,
      MemoryReservation: 1_024_000_000,
      MemorySwap: 1_277_600_000,
      BlkioWeight: 500,
      OomKillDisable: true,
      PidsLimit: 512,
    })
  })

  it('sets CPU fields only with a CPU limit, pinning only with threads, unlimited swap as -1', () => {
    const resources = containerResources(
      { ...LIMITS, cpuLimit: 150, threads: '0-1', swap: -1 },
      DEFAULT_OVERHEAD,
      undefined,
    )

    expect(resources).toMatchObject({
      CpuQuota: 150_000,
      CpuPeriod: 100_000,
      CpuShares: 1024,
      CpusetCpus: '0-1',
      MemorySwap: -1,
    })
    expect(resources).not.toHaveProperty('PidsLimit')
  })

  it('leaves memory unlimited for a limit of 0', () => {
    expect(containerResources({ ...LIMITS, memoryLimit: 0 }, DEFAULT_OVERHEAD, 1)).toMatchObject({
      Memory: 0,
      MemoryReservation: 0,
      MemorySwap: 0,
    })
  })
})

describe('portBindings', () => {
  const allocations = {
    forceOutgoingIp: false,
    default: { ip: '10.0.0.5', port: 25565 },
    mappings: { '10.0.0.5': [25565, 0, 70000], '127.0.0.1': [8080] },
  }

  it('publishes each valid port on TCP and UDP, moving 127.0.0.1 to the network interface', () => {
    const { exposed, bindings } = portBindings(allocations, {
      interface: '172.18.0.1',
      ispn: false,
    })

    expect(bindings).toEqual({
      '25565/tcp': [{ HostIp: '10.0.0.5', HostPort: '25565' }],
      '25565/udp': [{ HostIp: '10.0.0.5', HostPort: '25565' }],
      '8080/tcp': [{ HostIp: '172.18.0.1', HostPort: '8080' }],
      '8080/udp': [{ HostIp: '172.18.0.1', HostPort: '8080' }],
    })
    expect(Object.keys(exposed).sort()).toEqual(['25565/tcp', '25565/udp', '8080/tcp', '8080/udp'])
  })

  it('drops 127.0.0.1 bindings under ISPN but still exposes the port', () => {
    const { exposed, bindings } = portBindings(allocations, { interface: '', ispn: true })

    expect(bindings['8080/tcp']).toEqual([])
    expect(exposed).toHaveProperty('8080/udp')
  })
})

describe('permittedMounts', () => {
  it('keeps mounts whose cleaned source lies under an allowed directory', () => {
    const { permitted, refused } = permittedMounts(
      [
        { source: '/srv/shared/maps/', target: '/mnt/maps/', readOnly: true },
        { source: '/srv/shared', target: '/mnt/all', readOnly: false },
        { source: '/srv/shared2/x', target: '/mnt/x', readOnly: false },
        { source: '/srv/shared/../secret', target: '/mnt/s', readOnly: false },
        { source: 'relative/path', target: '/mnt/r', readOnly: false },
      ],
      ['/srv/shared/'],
    )

    expect(permitted).toEqual([
      { source: '/srv/shared/maps', target: '/mnt/maps', readOnly: true },
      { source: '/srv/shared', target: '/mnt/all', readOnly: false },
    ])
    expect(refused.map((r) => [r.mount.target, r.reason])).toEqual([
      ['/mnt/x', 'the source is not under an allowed mount directory'],
      ['/mnt/s', 'the source has a ".." segment'],
      ['/mnt/r', 'the source is not an absolute path'],
    ])
  })

  it('refuses targets that would hide or replace what the container needs', () => {
    const mount = (target: string) => ({ source: '/srv/shared', target, readOnly: false })

    const { permitted, refused } = permittedMounts(
      [
        mount('/home/container'),
        mount('/home/container/'),
        mount('/home'),
        mount('/'),
        mount('//home'),
        mount('/mnt/../home/container'),
        mount('/mnt/..'),
        mount('relative/target'),
        mount('/tmp'),
        mount('/mnt/data'),
        mount('/mnt/data/'),
        mount('/home/container/maps'),
        mount(''),
      ],
      ['/srv/shared'],
    )

    expect(permitted.map((m) => m.target)).toEqual(['/mnt/data', '/home/container/maps'])
    expect(refused.map((r) => [r.mount.target, r.reason])).toEqual([
      ['/home/container', "the target is the server's own directory or one of its parents"],
      ['/home/container/', "the target is the server's own directory or one of its parents"],
      ['/home', "the target is the server's own directory or one of its parents"],
      ['/', "the target is the server's own directory or one of its parents"],
      ['//home', "the target is the server's own directory or one of its parents"],
      ['/mnt/../home/container', 'the target has a ".." segment'],
      ['/mnt/..', 'the target has a ".." segment'],
      ['relative/target', 'the target is not an absolute path'],
      ['/tmp', "the target is the container's /tmp"],
      ['/mnt/data/', 'another mount has the same target'],
      ['', 'the target is not an absolute path'],
    ])
  })

  it('refuses every mount when nothing is allowed', () => {
    expect(
      permittedMounts([{ source: '/a', target: '/b', readOnly: false }], []).permitted,
    ).toEqual([])
  })
})

describe('containerEnv', () => {
  it('rewrites SERVER_IP=127.0.0.1 to the local address and keeps the order', () => {
    const variables = [
      { name: 'TZ', value: 'UTC' },
      { name: 'SERVER_IP', value: '127.0.0.1' },
      { name: 'OTHER_IP', value: '127.0.0.1' },
    ]

    expect(containerEnv(variables, '172.18.0.1')).toEqual([
      'TZ=UTC',
      'SERVER_IP=172.18.0.1',
      'OTHER_IP=127.0.0.1',
    ])
    expect(containerEnv(variables)).toEqual(['TZ=UTC', 'SERVER_IP=127.0.0.1', 'OTHER_IP=127.0.0.1'])
  })
})

describe('images and networks', () => {
  it('strips the ~ of a local image and names the outgoing-IP network after the IP', () => {
    expect(imageReference('~ghcr.io/x/y:1')).toBe('ghcr.io/x/y:1')
    expect(imageReference('ghcr.io/x/y:1')).toBe('ghcr.io/x/y:1')
    expect(outgoingIpNetworkName('10.0.0.5')).toBe('ip-10-0-0-5')
    expect(outgoingIpNetworkName('2001:db8::1')).toBe('ip-2001-db8--1')
  })
})

describe('installerBuildLimits', () => {
  it('raises memory and CPU to the installer minimums, and lifts CPU when the installer is unlimited', () => {
    expect(
      installerBuildLimits(
        { ...LIMITS, memoryLimit: 128, cpuLimit: 50 },
        { memory: 1024, cpu: 100 },
      ),
    ).toMatchObject({ memoryLimit: 1024, cpuLimit: 100 })
    expect(
      installerBuildLimits(
        { ...LIMITS, memoryLimit: 4096, cpuLimit: 0 },
        { memory: 1024, cpu: 100 },
      ),
    ).toMatchObject({ memoryLimit: 4096, cpuLimit: 0 })
    expect(
      installerBuildLimits({ ...LIMITS, cpuLimit: 400 }, { memory: 1024, cpu: 0 }),
    ).toMatchObject({ cpuLimit: 0 })
  })
})

describe('serverContainerSpec', () => {
  const settings: EnvironmentSettings = {
    image: 'ghcr.io/pterodactyl/yolks:java_17',
    invocation: 'java -jar server.jar',
    variables: [{ name: 'SERVER_IP', value: '127.0.0.1' }],
    limits: LIMITS,
    allocations: {
      forceOutgoingIp: true,
      default: { ip: '10.0.0.5', port: 25565 },
      mappings: { '10.0.0.5': [25565] },
    },
    mounts: [],
    labels: { Service: 'spoofed', team: 'a' },
    stop: { type: 'command', value: 'stop' },
  }

  it('uses the outgoing-IP network, the daemon labels over the Panel ones, and the data directory', () => {
    const host = resolveHostSettings({
      dataDirectory: '/var/lib/pterodactyl/volumes',
      usernsMode: 'host',
    })

    const spec = serverContainerSpec('0f4b8f3e', settings, host)

    expect(spec.HostConfig?.NetworkMode).toBe('ip-10-0-0-5')
    expect(spec.Labels).toEqual({
      Service: 'Pterodactyl',
      team: 'a',
      ContainerType: 'server_process',
    })
    expect(spec.HostConfig?.Mounts?.[0]?.Source).toBe('/var/lib/pterodactyl/volumes/0f4b8f3e')
    expect(spec.Env).toEqual(['SERVER_IP=172.18.0.1'])
    expect(spec.HostConfig?.UsernsMode).toBe('host')
    expect(spec.HostConfig?.Dns).toEqual(['1.1.1.1', '1.0.0.1'])
    expect(spec.User).toBe('988:988')
  })
})

describe('resolveHostSettings', () => {
  it('rejects a relative data directory and out-of-range numbers', () => {
    expect(() => resolveHostSettings({ dataDirectory: 'volumes' })).toThrow(RangeError)
    expect(() => resolveHostSettings({ dataDirectory: '/v', tmpfsSizeMiB: -1 })).toThrow(
      /tmpfsSizeMiB/,
    )
    expect(() => resolveHostSettings({ dataDirectory: '/v', user: { uid: 1.5, gid: 0 } })).toThrow(
      /user.uid/,
    )
  })
})
