import { randomBytes } from 'node:crypto'
import { access, readdir, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import path from 'node:path'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { sampleFixture, startPanelSim, type PanelSim } from '@node/panel-sim'
import { createTempDir, type TempDir } from '@node/testkit'

import { runCli, type CliRun } from './support/daemon-process.js'
import { freePort } from './support/test-node.js'

// Issue 10 item 8: every start-up failure of the real CLI is one line on stderr saying what failed
// and how to fix it, with the documented exit code (docs/operations.md), and a configuration
// that is refused changes nothing on disk.

let sim: PanelSim
let dir: TempDir
const tokenId = randomBytes(8).toString('hex')
const token = randomBytes(32).toString('hex')

beforeAll(async () => {
  sim = await startPanelSim({
    fixture: sampleFixture({ environment: 'process' }),
    node: { tokenId, token },
    log: () => undefined,
  })
})

afterAll(async () => {
  await sim?.close()
})

afterEach(async () => {
  await dir?.[Symbol.asyncDispose]()
})

/** A config.yml as the Panel generates it, with local directories, merged with `overrides`. */
async function writeConfig(overrides: {
  readonly top?: Record<string, unknown>
  readonly api?: Record<string, unknown>
  readonly system?: Record<string, unknown>
}): Promise<string> {
  dir = await createTempDir('startup-')
  const generated = sim.nodeConfiguration()
  const config = {
    ...generated,
    api: { ...generated.api, host: '127.0.0.1', port: await freePort(), ...overrides.api },
    system: {
      ...generated.system,
      root_directory: path.join(dir.path, 'lib'),
      log_directory: path.join(dir.path, 'log'),
      data: path.join(dir.path, 'volumes'),
      archive_directory: path.join(dir.path, 'archives'),
      backup_directory: path.join(dir.path, 'backups'),
      tmp_directory: path.join(dir.path, 'tmp'),
      environment: 'process',
      ...overrides.system,
    },
    ...overrides.top,
  }
  const file = path.join(dir.path, 'config.yml')
  await writeFile(file, stringify(config), { mode: 0o600 })
  return file
}

/** The start failed with one line on stderr, no stack, and this exit code. */
function expectOneLine(run: CliRun, code: number): string {
  expect(run.code, run.stdout + run.stderr).toBe(code)
  const lines = run.stderr.split('\n').filter((line) => line.trim() !== '')
  expect(lines, run.stderr).toHaveLength(1)
  expect(run.stderr).not.toMatch(/^\s+at /m)
  return lines[0]!
}

async function entries(): Promise<string[]> {
  return (await readdir(dir.path)).sort()
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}

describe('start-up failures', () => {
  it("no --config and no file at the default path: the reference's notice, nothing started", async () => {
    // The embedded demo starts only when asked (`wings demo`, `./dev start`).
    expect(await exists('/etc/pterodactyl/config.yml')).toBe(false)
    dir = await createTempDir('startup-')

    const run = await runCli([], { cwd: dir.path, timeoutMs: 20_000 })

    expect(run.code, run.stdout + run.stderr).toBe(1)
    expect(run.stderr).toContain('Error: Configuration File Not Found')
    expect(run.stderr).toContain('Location: /etc/pterodactyl/config.yml')
    expect(run.stderr).toContain('wings configure')
    expect(run.stdout).not.toContain('Embedded mode')
    expect(await entries()).toEqual([])
  })

  it('a taken port: one line naming the address and api.port, nothing created', async () => {
    const port = await freePort()
    const holder: Server = createServer()
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve))
    try {
      const config = await writeConfig({ api: { port } })

      const line = expectOneLine(await runCli(['--config', config]), 71)

      expect(line).toContain(`127.0.0.1:${port}`)
      expect(line).toContain('already uses the port')
      expect(line).toContain('api.port')
      expect(await entries()).toEqual(['config.yml'])
    } finally {
      holder.close()
    }
  })

  it('an empty config.yml: one line saying what to copy, nothing created', async () => {
    dir = await createTempDir('startup-')
    const config = path.join(dir.path, 'config.yml')
    await writeFile(config, '# nothing yet\n')
    const created = ['/var/lib/pterodactyl', '/var/log/pterodactyl']
    const before = await Promise.all(created.map(exists))

    const line = expectOneLine(await runCli(['--config', config]), 1)

    expect(line).toContain(config)
    expect(line).toContain("node's Configuration tab")
    expect(line).toContain('wings configure')
    expect(await Promise.all(created.map(exists))).toEqual(before)
  })

  it('a relative system.data: one line naming the key, no directory created', async () => {
    const config = await writeConfig({ system: { data: 'volumes' } })

    const line = expectOneLine(await runCli(['--config', config], { cwd: dir.path }), 1)

    expect(line).toContain('system.data: must be an absolute path')
    expect(await entries()).toEqual(['config.yml'])
  })

  it('a Panel that refuses the node token: one line naming token_id and token', async () => {
    const config = await writeConfig({ top: { token: 'not-the-node-token' } })

    const line = expectOneLine(await runCli(['--config', config]), 1)

    expect(line).toContain(sim.nodeConfiguration().remote)
    expect(line).toContain('token_id and token')
  })

  it('no Docker engine answers: one line with both ways out', async () => {
    const config = await writeConfig({ system: { environment: 'docker' } })

    const run = await runCli(['--config', config], {
      env: { DOCKER_HOST: `unix://${path.join(dir.path, 'no-docker.sock')}` },
    })

    const line = expectOneLine(run, 69)
    expect(line).toContain('Docker engine')
    expect(line).toContain('system.environment: process')
  })

  it('an unreachable Panel: each retry logged with its delay, then one line', async () => {
    const closed = await freePort()
    const config = await writeConfig({ top: { remote: `http://127.0.0.1:${closed}` } })

    const run = await runCli(['--config', config])

    const line = expectOneLine(run, 69)
    expect(line).toContain(`http://127.0.0.1:${closed}`)
    expect(line).toContain('ECONNREFUSED')
    expect(line).toContain('remote')
    const retries = run.stdout.split('\n').filter((l) => l.includes('Panel request failed'))
    expect(retries.length).toBeGreaterThan(2)
    expect(retries.every((l) => /retry_in_ms=\d+/.test(l))).toBe(true)
  })
})
