import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import {
  access,
  cp,
  mkdir,
  readdir,
  readFile,
  realpath,
  symlink,
  writeFile,
} from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { ensureBusyboxImage, sampleFixture, startPanelSim, type PanelSim } from '@node/panel-sim'
import { createTempDir, type TempDir } from '@node/testkit'

import { runCli, type CliOptions } from '../e2e/support/daemon-process.js'
import { freePort, startTestNode } from '../e2e/support/test-node.js'

// Issue 16 items 1 and 2, for real: `pnpm release` is built once, unpacked into a fresh directory
// outside the checkout, and run from there with no node_modules above it and no Node on PATH:
// `wings --version`, `wings diagnostics`, a start against panel-sim with the real Docker engine.
// The systemd unit passes `systemd-analyze verify` as installed; the Dockerfile builds an image
// of the release (on a base made here, no registry being reachable) that runs a node.

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const VERSION = (
  JSON.parse(await readFile(path.join(ROOT, 'apps/daemon/package.json'), 'utf8')) as {
    version: string
  }
).version
const NAME = `wings-${VERSION}-linux-${process.arch}`
const docker = new Docker()

let dir: TempDir
let buildOutput: string
/** The unpacked release. */
let release: string
/** The only commands the release may find: what its `wings` script and the daemon use. */
let bin: string
let cli: CliOptions

beforeAll(async () => {
  dir = await createTempDir('release-')
  const out = path.join(dir.path, 'out')
  const built = await run(
    process.execPath,
    [path.join(ROOT, 'scripts/release.mjs'), '--out', out],
    {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    },
  )
  buildOutput = built.stdout
  const install = path.join(dir.path, 'node')
  await mkdir(install)
  await run('tar', ['-xzf', path.join(out, `${NAME}.tar.gz`), '-C', install])
  release = path.join(install, NAME)
  bin = path.join(dir.path, 'bin')
  await mkdir(bin)
  for (const tool of ['sh', 'readlink', 'dirname']) {
    await symlink(await which(tool), path.join(bin, tool))
  }
  // /usr/sbin for useradd (the system user); no directory here holds a node binary.
  cli = { command: path.join(release, 'wings'), env: { PATH: `${bin}:/usr/sbin:/sbin` } }
}, 300_000)

afterAll(async () => {
  await dir?.[Symbol.asyncDispose]()
})

async function which(tool: string): Promise<string> {
  return (await run('sh', ['-c', `command -v ${tool}`])).stdout.trim()
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}

/** A config.yml as the Panel generates it, with directories under the test's directory. */
async function writeNodeConfig(sim: PanelSim, port: number, home: string): Promise<string> {
  const generated = sim.nodeConfiguration()
  const file = path.join(home, 'config.yml')
  await writeFile(
    file,
    stringify({
      ...generated,
      api: { ...generated.api, host: '127.0.0.1', port },
      system: {
        ...generated.system,
        root_directory: path.join(home, 'lib'),
        log_directory: path.join(home, 'log'),
        data: path.join(home, 'volumes'),
        archive_directory: path.join(home, 'archives'),
        backup_directory: path.join(home, 'backups'),
        tmp_directory: path.join(home, 'tmp'),
        environment: 'docker',
      },
    }),
    { mode: 0o600 },
  )
  return file
}

/** The sample server under a uuid of its own (other test files run the sample's uuid). */
function dockerFixture(uuid: string, port: number) {
  const fixture = sampleFixture({ environment: 'docker' })
  const base = fixture.servers![0]!
  return { ...fixture, servers: [{ ...base, uuid, allocations: [{ ip: '127.0.0.1', port }] }] }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function removeContainer(name: string): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined)
}

describe('pnpm release', () => {
  it('reports the size of the folder and the tarball, and the start time', () => {
    expect(buildOutput).toMatch(/^folder +\d+\.\d MiB \(runtime \d+\.\d MiB, /m)
    expect(buildOutput).toMatch(/^tarball +\d+\.\d MiB$/m)
    expect(buildOutput).toMatch(/^start +\d+ ms /m)
    expect(buildOutput).toMatch(/^node +v24\.\d+\.\d+ .*native jail addon built$/m)
  })

  it('unpacks outside the checkout, with no node_modules above it and no Node on its PATH', async () => {
    expect(path.relative(ROOT, release).startsWith('..')).toBe(true)
    for (let up = path.dirname(release); up !== path.dirname(up); up = path.dirname(up)) {
      expect(await exists(path.join(up, 'node_modules')), up).toBe(false)
    }
    const noNode = await run('sh', ['-c', 'command -v node || echo none'], { env: cli.env })
    expect(noNode.stdout.trim()).toBe('none')
    expect((await readdir(release)).sort()).toEqual(
      ['DEPLOY.md', 'Dockerfile', 'app', 'contrib', 'release.json', 'runtime', 'wings'].sort(),
    )
    // Production dependencies only: no test runner, no Panel simulator.
    const modules = await readdir(path.join(release, 'app/node_modules/.pnpm'))
    expect(modules.filter((m) => /^(vitest|vite|typescript|@node\+panel-sim)@/.test(m))).toEqual([])
  })

  it('./wings --version, and without a configuration file the reference notice', async () => {
    const version = await runCli(['--version'], cli)
    const bare = await runCli([], { ...cli, cwd: dir.path, timeoutMs: 20_000 })

    expect(version.stdout).toBe(`wings v${VERSION}\n`)
    expect(version.code).toBe(0)
    expect(bare.code).toBe(1)
    expect(bare.stderr).toContain('Configuration File Not Found')
    expect(bare.stderr).toContain('Location: /etc/pterodactyl/config.yml')
  })

  it('./wings demo says that the demo needs a checkout, since the release has no Panel simulator', async () => {
    const demo = await runCli(['demo'], { ...cli, cwd: dir.path, timeoutMs: 20_000 })

    expect(demo.code).toBe(69)
    expect(demo.stderr).toMatch(/^Error: the demo needs the Panel simulator, .*--config\n$/)
    expect(await readdir(dir.path)).not.toContain('.data')
  })

  it('./wings diagnostics: its runtime, the native jail addon, Docker, the config redacted', async () => {
    const sim = await startPanelSim({ fixture: sampleFixture(), log: () => undefined })
    try {
      const home = path.join(dir.path, 'diagnostics')
      await mkdir(home)
      const config = await writeNodeConfig(sim, await freePort(), home)
      const engine = await docker.version()

      const report = await runCli(['diagnostics', '--config', config], cli)

      expect(report.code, report.stderr).toBe(0)
      expect(report.stdout).toContain(`Daemon: ${VERSION}`)
      expect(report.stdout).toMatch(new RegExp(`Release: ${NAME} \\(commit [0-9a-f]{40}, built `))
      expect(report.stdout).toMatch(/Node\.js: v24\.\d+\.\d+/)
      expect(report.stdout).toContain('Backend: openat2 (native addon loaded)')
      expect(report.stdout).toContain(`Docker: ${engine.Version}`)
      expect(report.stdout).toContain('Token: [redacted]')
      expect(report.stdout).not.toContain(sim.nodeConfiguration().token)
    } finally {
      await sim.close()
    }
  })

  it('runs a node against panel-sim with the real Docker engine', async () => {
    const uuid = randomUUID()
    const fixture = dockerFixture(uuid, await freePort())
    try {
      await using node = await startTestNode({ environment: 'docker', fixture, cli })
      const system = await node.request('GET', '/api/system')
      const document = await node.request('GET', '/api/openapi.json')

      expect(((await system.json()) as { version: string }).version).toBe(VERSION)
      expect(((await document.json()) as { openapi: string }).openapi).toMatch(/^3\.1\./)
      const power = await node.request('POST', `/api/servers/${uuid}/power`, {
        body: JSON.stringify({ action: 'start' }),
      })
      expect(power.status).toBe(202)
      await until('the server running', async () => {
        const res = await node.request('GET', `/api/servers/${uuid}`)
        return ((await res.json()) as { state: string }).state === 'running' ? true : undefined
      })
      expect((await docker.getContainer(uuid).inspect()).State.Running).toBe(true)
      node.daemon.assertNoCrash()
    } finally {
      await removeContainer(uuid)
    }
  })
})

describe('contrib/wings.service', () => {
  it('passes systemd-analyze verify, installed as docs/deploy.md says', async () => {
    // A root holding the host's unit directory, the release under /opt and its link in
    // /usr/local/bin, as on a node; a docker.service stands in where Docker's unit is missing.
    const root = path.join(dir.path, 'systemd-root')
    const units = (await exists('/usr/lib/systemd/system'))
      ? '/usr/lib/systemd/system'
      : '/lib/systemd/system'
    await mkdir(path.join(root, 'usr/lib/systemd'), { recursive: true })
    await cp(units, path.join(root, 'usr/lib/systemd/system'), { recursive: true })
    await mkdir(path.join(root, 'etc/systemd/system'), { recursive: true })
    if (!(await exists(path.join(root, 'usr/lib/systemd/system/docker.service')))) {
      await writeFile(
        path.join(root, 'etc/systemd/system/docker.service'),
        '[Unit]\nDescription=Docker\n[Service]\nExecStart=/usr/bin/dockerd\n',
      )
    }
    // The unit starts the release's `wings` through the link: that file is what must exist.
    await mkdir(path.join(root, 'opt/wings'), { recursive: true })
    await cp(path.join(release, 'wings'), path.join(root, 'opt/wings/wings'))
    await mkdir(path.join(root, 'usr/local/bin'), { recursive: true })
    await symlink('../../../opt/wings/wings', path.join(root, 'usr/local/bin/wings'))
    await mkdir(path.join(root, 'etc/pterodactyl'))
    await cp(
      path.join(release, 'contrib/wings.service'),
      path.join(root, 'etc/systemd/system/wings.service'),
    )

    const verify = await run(
      'systemd-analyze',
      ['verify', `--root=${root}`, '/etc/systemd/system/wings.service'],
      { env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' } },
    ).catch((err: { stdout?: string; stderr?: string; code?: number }) => err)

    expect(`${verify.stdout ?? ''}${verify.stderr ?? ''}`).toBe('')
    expect('code' in verify ? verify.code : 0).toBe(0)
    const unit = await readFile(path.join(release, 'contrib/wings.service'), 'utf8')
    for (const line of [
      'After=docker.service',
      'Requires=docker.service',
      'Restart=on-failure',
      'LimitNOFILE=4096',
      'ExecStart=/usr/local/bin/wings --config /etc/pterodactyl/config.yml',
      'WantedBy=multi-user.target',
    ]) {
      expect(unit).toContain(line)
    }
  })

  it('fails systemd-analyze verify when the command it starts is missing', async () => {
    // The verification above could fail: a unit whose ExecStart is absent is refused.
    const root = path.join(dir.path, 'systemd-root')
    const broken = path.join(root, 'etc/systemd/system/broken.service')
    await writeFile(broken, '[Service]\nExecStart=/usr/local/bin/absent\n')

    const verify = await run('systemd-analyze', [
      'verify',
      `--root=${root}`,
      '/etc/systemd/system/broken.service',
    ]).catch((err: { stderr?: string }) => err)

    expect('stderr' in verify ? verify.stderr : '').toMatch(/absent/)
  })
})

describe('Dockerfile', () => {
  it("builds an image of the release that runs a node with the host's Docker socket", async () => {
    // No registry answers here: the base is made from the host's C library and Debian's static
    // busybox, which is what the Dockerfile needs from debian:bookworm-slim (glibc and /bin/sh).
    const base = 'node-daemon-test/release-base:latest'
    const libs = path.join(dir.path, 'base-libs')
    const ldd = await run('ldd', [path.join(release, 'runtime/bin/node')])
    for (const lib of ldd.stdout.matchAll(/(\/\S+) \(0x/g)) {
      const file = lib[1]!
      await mkdir(path.join(libs, path.dirname(file)), { recursive: true })
      await cp(await realpath(file), path.join(libs, file))
    }
    await ensureBusyboxImage({ tag: base, overlays: [libs] })
    const image = `node-daemon-test/release:${VERSION}`
    await run(
      'docker',
      ['build', '--quiet', '--build-arg', `BASE_IMAGE=${base}`, '-t', image, release],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    )

    const uuid = randomUUID()
    const port = await freePort()
    const sim = await startPanelSim({
      fixture: dockerFixture(uuid, await freePort()),
      node: { daemonUrl: `http://127.0.0.1:${port}` },
      log: () => undefined,
    })
    const home = path.join(dir.path, 'container')
    await mkdir(home)
    const config = await writeNodeConfig(sim, port, home)
    const { uid, gid } = await hostUser('pterodactyl')
    const name = `node-daemon-release-${uuid.slice(0, 8)}`
    try {
      await run('docker', [
        'run',
        '--detach',
        '--name',
        name,
        '--network',
        'host',
        '--env',
        `WINGS_UID=${uid}`,
        '--env',
        `WINGS_GID=${gid}`,
        '--volume',
        '/var/run/docker.sock:/var/run/docker.sock',
        '--volume',
        `${home}:${home}`,
        image,
        '--config',
        config,
      ])
      const token = sim.nodeConfiguration().token
      const request = (method: string, route: string, body?: unknown) =>
        fetch(`http://127.0.0.1:${port}${route}`, {
          method,
          headers: { Authorization: `Bearer ${token}` },
          body: body === undefined ? null : JSON.stringify(body),
        })
      const system = await until('the daemon in its container', async () => {
        const res = await request('GET', '/api/system')
        return res.ok ? ((await res.json()) as { version: string }) : undefined
      })
      expect(system.version).toBe(VERSION)

      expect(
        (await request('POST', `/api/servers/${uuid}/power`, { action: 'start' })).status,
      ).toBe(202)
      await until('the server running', async () => {
        const res = await request('GET', `/api/servers/${uuid}`)
        return ((await res.json()) as { state: string }).state === 'running' ? true : undefined
      })
      const server = await docker.getContainer(uuid).inspect()
      expect(server.State.Running).toBe(true)
      // The server's files are mounted from the host path the daemon was given.
      expect(server.Mounts.map((m) => m.Source)).toContain(path.join(home, 'volumes', uuid))

      await run('docker', ['stop', '--time', '60', name])
      const daemon = await docker.getContainer(name).inspect()
      expect(daemon.State.ExitCode).toBe(0)
      const logs = await run('docker', ['logs', name])
      expect(logs.stdout + logs.stderr).not.toMatch(/unhandled rejection|uncaught exception/)
    } finally {
      await removeContainer(name)
      await removeContainer(uuid)
      await docker
        .getImage(image)
        .remove()
        .catch(() => undefined)
      await sim.close()
    }
  })
})

/** The host's ids of a system user (988, the image's default, when it has none). */
async function hostUser(name: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8')
  const line = passwd.split('\n').find((l) => l.startsWith(`${name}:`))
  if (!line) return { uid: 988, gid: 988 }
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}
