import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'

import Docker from 'dockerode'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { parseCliArgs, type DiagnosticsArgs } from './args.js'
import { collectDiagnostics, diagnosticsCommand, type DockerInfoSource } from './diagnostics.js'

const TOKEN = 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'daemon-diag-'))
  await mkdir(path.join(dir, 'logs'))
  await writeFile(
    path.join(dir, 'config.yml'),
    [
      'uuid: node-uuid',
      'token_id: Q0mVwY8pXb3Kc7Rt',
      `token: ${TOKEN}`,
      'remote: https://panel.example.com',
      'api:',
      '  host: 10.1.2.3',
      '  ssl:',
      '    enabled: true',
      '    cert: /etc/ssl/node.crt',
      '    key: /etc/ssl/node.key',
      'system:',
      `  log_directory: ${path.join(dir, 'logs')}`,
      '',
    ].join('\n'),
  )
  await writeFile(
    path.join(dir, 'logs', 'wings.log'),
    [
      '{"level":"info","message":"old line"}',
      `{"level":"info","message":"calling https://panel.example.com/api/remote/servers with ${TOKEN}"}`,
      '{"level":"warn","message":"GET /download/file?token=abc.def.ghi"}',
      '',
    ].join('\n'),
  )
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Canned answers in the shape the Docker API gives them. */
const fakeDocker: DockerInfoSource = {
  version: () => Promise.resolve({ Version: '24.0.7' } as Awaited<ReturnType<Docker['version']>>),
  info: () =>
    Promise.resolve({
      ServerVersion: '24.0.7',
      Driver: 'overlay2',
      DriverStatus: [['Backing Filesystem', 'extfs']],
      LoggingDriver: 'json-file',
      CgroupDriver: 'systemd',
      CgroupVersion: '2',
      Containers: 3,
      ContainersRunning: 1,
      ContainersPaused: 0,
      ContainersStopped: 2,
      Warnings: ['WARNING: No swap limit support'],
    }),
  listContainers: () =>
    Promise.resolve([
      {
        Id: '0123456789abcdef0123',
        Image: 'ghcr.io/pterodactyl/yolks:java_17',
        Status: 'Up 2 hours',
        Names: ['/d3b07384'],
      },
    ] as Awaited<ReturnType<Docker['listContainers']>>),
}

function options(overrides: Partial<Parameters<typeof collectDiagnostics>[0]> = {}) {
  return {
    version: '1.2.3',
    configPath: 'config.yml',
    cwd: dir,
    env: {},
    logLines: 2,
    includeEndpoints: false,
    includeLogs: true,
    docker: fakeDocker,
    jailProbe: () => Promise.resolve({ mode: 'openat2' as const }),
    ...overrides,
  }
}

describe('collectDiagnostics', () => {
  it('reports versions, the configuration, Docker and the last log lines', async () => {
    const report = await collectDiagnostics(options())

    expect(report).toContain('Daemon: 1.2.3')
    expect(report).toContain(`Node.js: ${process.version}`)
    expect(report).toContain('Docker: 24.0.7')
    expect(report).toMatch(/Kernel: \S+/)
    expect(report).toContain('Node UUID: node-uuid')
    expect(report).toContain('Storage Driver: overlay2')
    expect(report).toContain('Backing Filesystem: extfs')
    expect(report).toContain('Containers: 3 (running 1, paused 0, stopped 2)')
    expect(report).toContain('WARNING: No swap limit support')
    expect(report).toContain(
      '0123456789ab  ghcr.io/pterodactyl/yolks:java_17  Up 2 hours  /d3b07384',
    )
    expect(report).toContain('GET /download/file?token=[redacted]')
    expect(report).not.toContain('old line')
  })

  it('never shows the token, and hides endpoints unless asked', async () => {
    const hidden = await collectDiagnostics(options())
    const shown = await collectDiagnostics(options({ includeEndpoints: true }))

    for (const report of [hidden, shown]) {
      expect(report).not.toContain(TOKEN)
      expect(report).toContain('Token: [redacted]')
    }
    expect(hidden).not.toContain('panel.example.com')
    expect(hidden).not.toContain('10.1.2.3')
    expect(hidden).not.toContain('/etc/ssl/node.key')
    expect(hidden).toContain('Panel Location: {redacted}')
    expect(shown).toContain('Panel Location: https://panel.example.com')
    expect(shown).toContain('Internal Webserver: 10.1.2.3:8080')
    expect(shown).toContain('SSL Key: /etc/ssl/node.key')
  })

  it("reports the filesystem jail's backend, and why it is not the native one", async () => {
    const native = await collectDiagnostics(options())
    const walk = await collectDiagnostics(
      options({
        jailProbe: () =>
          Promise.resolve({
            mode: 'walk' as const,
            nativeUnavailable: 'native addon not loaded: Cannot find module filesystem_jail.node',
          }),
      }),
    )

    expect(native).toContain('Backend: openat2 (native addon loaded)')
    expect(walk).toContain(
      'Backend: walk (pure JS; native addon not loaded: Cannot find module filesystem_jail.node)',
    )
  })

  it('leaves the logs out when asked', async () => {
    const report = await collectDiagnostics(options({ includeLogs: false }))

    expect(report).toContain('Logs redacted.')
    expect(report).not.toContain('download/file')
  })

  it('reports a missing configuration file and an unreachable Docker engine in their sections', async () => {
    const report = await collectDiagnostics(
      options({
        configPath: 'absent.yml',
        docker: new Docker({ socketPath: path.join(dir, 'no.sock') }),
      }),
    )

    expect(report).toContain(`Configuration File Not Found: ${path.join(dir, 'absent.yml')}`)
    expect(report).toMatch(/Docker is not reachable: .*no\.sock/)
    expect(report).toMatch(/Couldn't list containers: /)
  })
})

describe('diagnosticsCommand', () => {
  it('prints the report between markers and exits 0', async () => {
    const stdout = new PassThrough()
    const chunks: Buffer[] = []
    stdout.on('data', (c: Buffer) => chunks.push(c))
    const args = parseCliArgs([
      'diagnostics',
      '--config',
      path.join(dir, 'config.yml'),
    ]) as DiagnosticsArgs

    const code = await diagnosticsCommand(
      args,
      { stdout, stderr: new PassThrough() },
      { version: '9.9.9', docker: fakeDocker },
    )

    const text = Buffer.concat(chunks).toString('utf8')
    expect(code).toBe(0)
    expect(text).toMatch(/^\n-+ {2}generated report {2}-+\nNode daemon/)
    expect(text).toContain('Daemon: 9.9.9')
    expect(text).toMatch(/-+ {3}end of report {4}-+\n$/)
  })
})
