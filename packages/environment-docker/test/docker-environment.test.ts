import { createSocket } from 'node:dgram'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer as createHttpServer } from 'node:http'
import { createServer, connect, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

import type { EnvironmentSettings } from '@node/server-state'
import { MemoryLogger } from '@node/shared-kernel/testing'
import {
  describeEnvironmentContract,
  EnvironmentRecorder,
  FAKE_GAME_SERVER_DONE,
  fakeServerSettings,
  TEST_IMAGE,
  type FakeServerSettingsOptions,
} from '@node/testkit'
import type Docker from 'dockerode'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { DockerEnvironmentFactory, type DockerEnvironment } from '../src/index.js'
import { createDockerTestBed, type DockerTestBed, type TestNetwork } from '../src/testing/index.js'

let bed: DockerTestBed
let docker: Docker
let dataDirectory: string
let network: TestNetwork
let factory: DockerEnvironmentFactory
let logger: MemoryLogger

// A network and container names of this run's own, so these tests never touch pterodactyl_nw
// or another run's containers; ports are published on 127.0.0.1, never reached through the bridge.
beforeAll(async () => {
  bed = await createDockerTestBed()
  docker = bed.docker
  dataDirectory = bed.dataDirectory
  network = bed.network
})

afterAll(async () => {
  await bed.close()
})

function newFactory(options: { allowedMounts?: string[] } = {}): DockerEnvironmentFactory {
  logger = new MemoryLogger()
  return bed.factory({ logger, ...options })
}

/** A new server id with its data directory, owned by the container user. */
function newServer(): Promise<string> {
  return bed.newServer()
}

const environments: DockerEnvironment[] = []

function track(env: DockerEnvironment): DockerEnvironment {
  environments.push(env)
  return env
}

async function cleanup(): Promise<void> {
  for (const env of environments.splice(0)) env.detach()
  await bed.removeContainers()
}

describeEnvironmentContract('DockerEnvironment', {
  async make(options) {
    const id = await newServer()
    factory = newFactory()
    return track(factory.forServer(id, fakeServerSettings(id, 'fake-game-server', options)))
  },
  cleanup,
})

describe('DockerEnvironment', { timeout: 60_000 }, () => {
  afterEach(cleanup)

  async function startServer(
    options: FakeServerSettingsOptions = {},
    from: DockerEnvironmentFactory = newFactory(),
  ): Promise<{ id: string; env: DockerEnvironment; rec: EnvironmentRecorder }> {
    const id = await newServer()
    factory = from
    const env = track(factory.forServer(id, fakeServerSettings(id, 'fake-game-server', options)))
    const rec = new EnvironmentRecorder(env)
    await env.start()
    await rec.line(FAKE_GAME_SERVER_DONE)
    return { id, env, rec }
  }

  async function limitsOf(
    env: DockerEnvironment,
    rec: EnvironmentRecorder,
  ): Promise<Record<string, string>> {
    const from = rec.lines.length
    await env.sendCommand('limits')
    await rec.line('limits done', 20_000, from)
    const out: Record<string, string> = {}
    for (const line of rec.lines.slice(from)) {
      const match = /^limit (\w+)=(.*)$/.exec(line)
      if (match) out[match[1] as string] = match[2] as string
    }
    return out
  }

  it('creates the container as Wings does: TTY, user, read-only root, labels, env, mounts, logs', async () => {
    factory = newFactory()
    const id = await newServer()
    const settings = fakeServerSettings(id, 'fake-game-server', {
      labels: { 'com.example.owner': 'tests' },
      variables: { GAME_MODE: 'hard' },
    })
    const env = track(factory.forServer(id, settings))

    await env.create()

    const info = await docker.getContainer(id).inspect()
    expect(info.Name).toBe(`/${id}`)
    expect(info.Config.Hostname).toBe(id)
    expect(info.Config.User).toBe('988:988')
    expect(info.Config.Tty).toBe(true)
    expect(info.Config.OpenStdin).toBe(true)
    expect(info.Config.Image).toBe(TEST_IMAGE)
    expect(info.Config.Labels).toMatchObject({
      'com.example.owner': 'tests',
      Service: 'Pterodactyl',
      ContainerType: 'server_process',
    })
    expect(info.Config.Env.slice(0, 6)).toEqual([
      'TZ=UTC',
      'STARTUP=fake-game-server',
      'SERVER_MEMORY=256',
      'SERVER_IP=127.0.0.1',
      'SERVER_PORT=25565',
      'GAME_MODE=hard',
    ])
    const host = info.HostConfig
    expect(host.ReadonlyRootfs).toBe(true)
    expect(host.SecurityOpt).toEqual(['no-new-privileges'])
    expect(host.CapDrop).toEqual(expect.arrayContaining(['net_raw', 'sys_chroot', 'setfcap']))
    expect(host.Tmpfs).toEqual({ '/tmp': 'rw,exec,nosuid,size=100M' })
    expect(host.LogConfig).toEqual({
      Type: 'local',
      Config: { 'max-size': '5m', 'max-file': '1', compress: 'false', mode: 'non-blocking' },
    })
    expect(host.NetworkMode).toBe(network.name)
    expect(host.Mounts).toEqual([
      expect.objectContaining({
        Type: 'bind',
        Source: path.join(dataDirectory, id),
        Target: '/home/container',
      }),
    ])
    expect(host.Memory).toBe(Math.round(256 * 1.15 * 1e6))
    expect(host.MemoryReservation).toBe(256_000_000)
    expect(host.MemorySwap).toBe(Math.round(256 * 1.15 * 1e6))
    expect(host.PidsLimit).toBe(512)
    expect(host.CpuQuota).toBe(100_000)
    expect(host.CpuPeriod).toBe(100_000)
  })

  it('applies memory, pids, CPU quota and pinning, visible in the cgroup inside the container', async () => {
    const { env, rec } = await startServer({
      limits: { memoryLimit: 128, cpuLimit: 50, threads: '0' },
    })

    const limits = await limitsOf(env, rec)

    expect(limits.memory).toBe(String(pageAligned(Math.round(128 * 1.15 * 1e6))))
    expect(limits.pids).toBe('512')
    expect(limits.cpu_quota).toBe('50000')
    expect(limits.cpu_period).toBe('100000')
    expect(limits.cpuset).toBe('0')
  })

  it('updates memory and CPU of a running container in place', async () => {
    const { env, rec } = await startServer({ limits: { memoryLimit: 128, cpuLimit: 50 } })

    env.configure({
      ...env.settings,
      limits: { ...env.settings.limits, memoryLimit: 512, cpuLimit: 150 },
    })
    await env.updateResources()

    const limits = await limitsOf(env, rec)
    expect(limits.memory).toBe(String(pageAligned(Math.round(512 * 1.15 * 1e6))))
    expect(limits.cpu_quota).toBe('150000')
  })

  it('reports the memory limit of the container in its stats', async () => {
    const { rec } = await startServer({ limits: { memoryLimit: 128 } })

    await rec.until(() => rec.stats.length >= 1, 'a stats sample')

    expect(rec.stats[0]?.memoryLimitBytes).toBe(pageAligned(Math.round(128 * 1.15 * 1e6)))
  })

  it('publishes every allocation on TCP and UDP at its IP, reachable on 127.0.0.1', async () => {
    const port = await freePort()
    const { id, env, rec } = await startServer({
      allocations: {
        forceOutgoingIp: false,
        default: { ip: '127.0.0.1', port },
        mappings: { '127.0.0.1': [port] },
      },
    })

    await env.sendCommand(`listen ${port}`)
    await rec.line(`listening on ${port}/tcp`)

    const bindings = (await docker.getContainer(id).inspect()).HostConfig.PortBindings as Record<
      string,
      { HostIp: string; HostPort: string }[]
    >
    expect(bindings).toEqual({
      [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(port) }],
      [`${port}/udp`]: [{ HostIp: '127.0.0.1', HostPort: String(port) }],
    })
    expect(await tcpRoundTrip(port, 'ping')).toBe('pong: ping')
    // Docker holds the UDP port on 127.0.0.1: binding it here must fail.
    expect(await udpBindError(port)).toBe('EADDRINUSE')
  })

  it('mounts only Panel mounts under an allowed directory', async () => {
    const allowedRoot = await mkdtemp(path.join(tmpdir(), `${bed.prefix}-mounts-`))
    const shared = path.join(allowedRoot, 'shared')
    await mkdir(shared)
    await writeFile(path.join(shared, 'motd.txt'), 'hello from the host\n')
    await chmod(allowedRoot, 0o755)
    await chmod(shared, 0o755)
    try {
      const { id, env, rec } = await startServer(
        {
          mounts: [
            { source: `${shared}/`, target: '/mnt/shared', readOnly: true },
            { source: `${allowedRoot}-other`, target: '/mnt/other', readOnly: false },
          ],
        },
        newFactory({ allowedMounts: [allowedRoot] }),
      )

      await env.sendCommand('run cat /mnt/shared/motd.txt')

      expect(await rec.line('hello from the host')).toBe('hello from the host')
      const mounts = (await docker.getContainer(id).inspect()).HostConfig.Mounts ?? []
      expect(mounts.map((m) => [m.Target, m.ReadOnly ?? false])).toEqual([
        ['/home/container', false],
        ['/mnt/shared', true],
      ])
    } finally {
      await rm(allowedRoot, { recursive: true, force: true })
    }
  })

  it('leaves out a mount over the server directory, logging why, and still starts', async () => {
    const allowedRoot = await mkdtemp(path.join(tmpdir(), `${bed.prefix}-mounts-`))
    await chmod(allowedRoot, 0o755)
    try {
      const { id, env, rec } = await startServer(
        {
          mounts: [
            { source: allowedRoot, target: '/home/container', readOnly: false },
            { source: allowedRoot, target: '/mnt/../home', readOnly: false },
            { source: allowedRoot, target: '/mnt/maps', readOnly: true },
          ],
        },
        newFactory({ allowedMounts: [allowedRoot] }),
      )

      await env.sendCommand('run ls /home/container')

      const mounts = (await docker.getContainer(id).inspect()).HostConfig.Mounts ?? []
      expect(mounts.map((m) => m.Target)).toEqual(['/home/container', '/mnt/maps'])
      expect(rec.runningCount).toBe(1)
      const refusals = logger.records.filter((r) => r.message === 'leaving out a Panel mount')
      expect(refusals.map((r) => [r.fields['target'], r.fields['reason']])).toEqual([
        ['/home/container', "the target is the server's own directory or one of its parents"],
        ['/mnt/../home', 'the target has a ".." segment'],
      ])
    } finally {
      await rm(allowedRoot, { recursive: true, force: true })
    }
  })

  it("gives Docker's reason when Docker refuses the container", async () => {
    const allowedRoot = await mkdtemp(path.join(tmpdir(), `${bed.prefix}-mounts-`))
    factory = newFactory({ allowedMounts: [allowedRoot] })
    const id = await newServer()
    const env = track(
      factory.forServer(
        id,
        fakeServerSettings(id, 'x', {
          mounts: [{ source: `${allowedRoot}/missing`, target: '/mnt/x', readOnly: false }],
        }),
      ),
    )

    try {
      const failure = await env.create().catch((err: unknown) => err)

      expect((failure as Error).message).toMatch(
        /^environment\/docker: failed to create container: .*bind source path does not exist/,
      )
      expect(await env.exists()).toBe(false)
    } finally {
      await rm(allowedRoot, { recursive: true, force: true })
    }
  })

  it('runs as the configured user in the server directory, with a writable /tmp only', async () => {
    const { id, env, rec } = await startServer()

    await env.sendCommand('id')
    await env.sendCommand('run touch /home/container/made-here && touch /tmp/x && echo tmp-ok')
    await env.sendCommand('run touch /etc/nope || echo root-readonly')

    expect(await rec.line('id: ')).toContain('uid=988')
    // Exact lines: the TTY also echoes each command as typed.
    await rec.line(/^tmp-ok$/)
    await rec.line(/^root-readonly$/)
    expect(await readFile(path.join(dataDirectory, id, 'made-here'), 'utf8')).toBe('')
  })

  it('re-attaches from a fresh instance to a container that kept running (daemon restart)', async () => {
    const { id, env } = await startServer({ stop: { type: 'command', value: 'stop' } })
    env.detach()
    const restarted = track(newFactory().forServer(id, env.settings))
    const rec = new EnvironmentRecorder(restarted)

    await restarted.attach()
    await restarted.sendCommand('still there?')

    expect(rec.runningCount).toBe(1)
    expect(await rec.line('received: ')).toBe('received: still there?')
    await rec.until(() => rec.stats.length >= 1, 'a stats sample after re-attach')
    await restarted.stop()
    await restarted.waitForStop({ timeoutMs: 20_000, kill: true })
    expect(await rec.exit()).toEqual({ exitCode: 0, oomKilled: false })
  })

  it('re-creates the container from the current settings on every start', async () => {
    const { env, rec } = await startServer({ variables: { LEVEL: 'one' } })
    await env.kill()
    env.configure(fakeServerSettings(env.id, 'fake-game-server', { variables: { LEVEL: 'two' } }))
    const from = rec.lines.length

    await env.start()
    await rec.line(FAKE_GAME_SERVER_DONE, 20_000, from)
    await env.sendCommand('env')

    expect(await rec.line(/^LEVEL=/, 20_000, from)).toBe('LEVEL=two')
  })

  it('refuses to re-create a running container', async () => {
    const { env } = await startServer()

    const failure = await env.create().catch((err: unknown) => err)

    expect((failure as { code?: string }).code).toBe('CONFLICT')
  })

  it('falls back to the local image when the pull fails, and never pulls a ~ image', async () => {
    factory = newFactory()
    const id = await newServer()
    const pulled = track(factory.forServer(id, fakeServerSettings(id, 'fake-game-server')))
    const events: string[] = []
    pulled.subscribe('pull', (e) => events.push(e.kind))

    await pulled.create()
    const warnedAfterPull = logger.records.some((e) => e.message.includes('exists locally'))
    await pulled.destroy()
    logger.records.length = 0
    const local = track(
      factory.forServer(
        id,
        fakeServerSettings(id, 'fake-game-server', { image: `~${TEST_IMAGE}` }),
      ),
    )
    await local.create()

    expect(events[0]).toBe('started')
    expect(events.at(-1)).toBe('finished')
    expect(warnedAfterPull).toBe(true)
    expect(logger.records.some((e) => e.message.includes('exists locally'))).toBe(false)
    expect((await docker.getContainer(id).inspect()).Config.Image).toBe(TEST_IMAGE)
  })

  it('fails to create when the image can be neither pulled nor found locally', async () => {
    factory = newFactory()
    const id = await newServer()
    const env = track(
      factory.forServer(
        id,
        fakeServerSettings(id, 'x', { image: 'node-daemon-test/does-not-exist:1' }),
      ),
    )

    const failure = await env.create().catch((err: unknown) => err)

    expect(String((failure as Error).message)).toContain('failed to pull')
    expect(await env.exists()).toBe(false)
  })

  it('pulls with the credentials of the first registry that prefixes the image', async () => {
    // A registry on loopback that asks for Basic credentials and then knows no image.
    const authorizations: string[] = []
    const registry = createHttpServer((req, res) => {
      authorizations.push(req.headers.authorization ?? '')
      if (!req.headers.authorization) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end()
        return
      }
      res.writeHead(req.url === '/v2/' ? 200 : 404, { 'Content-Type': 'application/json' })
      res.end(req.url === '/v2/' ? '{}' : '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
    })
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve))
    const address = `127.0.0.1:${(registry.address() as AddressInfo).port}`
    try {
      logger = new MemoryLogger()
      const withCredentials = new DockerEnvironmentFactory({
        docker,
        dataDirectory,
        network,
        registries: {
          'docker.io': { username: 'wrong', password: 'wrong' },
          [address]: { username: 'bot', password: 's3cret' },
        },
      })
      const id = await newServer()
      const env = track(
        withCredentials.forServer(id, fakeServerSettings(id, 'x', { image: `${address}/game:1` })),
      )

      const failure = await env.create().catch((err: unknown) => err)

      expect(String((failure as Error).message)).toContain('failed to pull')
      expect(authorizations).toContain(`Basic ${Buffer.from('bot:s3cret').toString('base64')}`)
    } finally {
      registry.close()
    }
  })

  it('reports an out-of-memory kill in the exit state', async () => {
    const { env, rec } = await startServer({ limits: { memoryLimit: 16, swap: 0 } })

    // One endless line: tail keeps it all in memory until the kernel kills it.
    await env.sendCommand('exec tail -c 100000000 /dev/zero')
    const exit = await rec.exit(1, 30_000)

    expect(exit.oomKilled).toBe(true)
    expect((await env.exitState()).oomKilled).toBe(true)
  })

  it('runs an install script in <id>_installer with the server files at /mnt/server', async () => {
    factory = newFactory()
    const id = await newServer()
    const scripts = await mkdtemp(path.join(tmpdir(), `${bed.prefix}-install-`))
    await writeFile(
      path.join(scripts, 'install.sh'),
      'echo "installing as $(id -u)"\necho done > /mnt/server/installed.txt\necho "SERVER_PORT=$SERVER_PORT"\n',
    )
    try {
      const settings: EnvironmentSettings = fakeServerSettings(id, 'fake-game-server')
      const installer = track(
        factory.forInstaller(id, {
          image: TEST_IMAGE,
          entrypoint: 'ash',
          scriptDirectory: scripts,
          variables: settings.variables,
          limits: settings.limits,
        }),
      )
      const rec = new EnvironmentRecorder(installer)

      await installer.start()
      const exit = await rec.exit()
      const info = await docker.getContainer(`${id}_installer`).inspect()
      await installer.destroy()

      expect(exit).toEqual({ exitCode: 0, oomKilled: false })
      expect(rec.lines).toEqual(expect.arrayContaining(['installing as 0', 'SERVER_PORT=25565']))
      expect(await readFile(path.join(dataDirectory, id, 'installed.txt'), 'utf8')).toBe('done\n')
      expect(info.Config.Hostname).toBe('installer')
      expect(info.Config.Cmd).toEqual(['ash', '/mnt/install/install.sh'])
      expect(info.Config.Labels).toMatchObject({ ContainerType: 'server_installer' })
      expect(info.HostConfig.PidsLimit ?? 0).toBeLessThanOrEqual(0)
      // Raised from the server's 256 MiB to the installer's 1024, with its 15% overhead.
      expect(info.HostConfig.Memory).toBe(Math.round(1024 * 1.15 * 1e6))
      expect(await installer.exists()).toBe(false)
    } finally {
      await rm(scripts, { recursive: true, force: true })
    }
  })
})

describe('DockerEnvironmentFactory.ensureNetwork', { timeout: 60_000 }, () => {
  it('creates the network with the configured subnets and bridge name, and uses its gateway', async () => {
    const other = bed.uniqueNetwork()
    const name = other.name
    const boot = new DockerEnvironmentFactory({
      docker,
      dataDirectory: '/nonexistent',
      network: other,
    })
    try {
      const state = await boot.ensureNetwork()
      const again = await boot.ensureNetwork()
      const info = (await docker.getNetwork(name).inspect()) as {
        Driver: string
        EnableIPv6: boolean
        IPAM: { Config: { Subnet: string; Gateway: string }[] }
        Options: Record<string, string>
      }

      expect(state).toEqual({
        driver: 'bridge',
        interface: other.v4.gateway,
        ispn: false,
        created: true,
      })
      expect(again.created).toBe(false)
      expect(info.EnableIPv6).toBe(true)
      expect(info.IPAM.Config).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Subnet: other.v4.subnet, Gateway: other.v4.gateway }),
        ]),
      )
      expect(info.Options['com.docker.network.bridge.name']).toBe(other.bridgeName)
      expect(boot.hostSettings.network.interface).toBe(other.v4.gateway)
    } finally {
      await docker
        .getNetwork(name)
        .remove()
        .catch(() => undefined)
    }
  })
})

/** The kernel keeps memory limits in whole pages. */
function pageAligned(bytes: number): number {
  return Math.floor(bytes / 4096) * 4096
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** Sends one line to 127.0.0.1:`port` and resolves with the first line of the answer. */
async function tcpRoundTrip(port: number, line: string): Promise<string> {
  // docker-proxy accepts before the listener inside is up; retry until an answer comes.
  for (let attempt = 0; ; attempt++) {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      let data = ''
      socket.setTimeout(2000, () => socket.destroy())
      socket.on('connect', () => socket.write(`${line}\n`))
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()))
      socket.on('error', () => undefined)
      socket.on('close', () => resolve(data.split('\n')[0] ?? ''))
    })
    if (answer !== '' || attempt >= 20) return answer
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

function udpBindError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4')
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close()
      resolve(err.code)
    })
    socket.bind(port, '127.0.0.1', () => {
      socket.close()
      resolve(undefined)
    })
  })
}
