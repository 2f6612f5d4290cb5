import { randomUUID } from 'node:crypto'
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import {
  describeEnvironmentContract,
  EnvironmentRecorder,
  FAKE_GAME_SERVER,
  FAKE_GAME_SERVER_DONE,
  fakeServerSettings,
  type FakeServerSettingsOptions,
} from '@node/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { ProcessEnvironmentFactory, type ProcessEnvironment } from '../src/index.js'

let dataDirectory: string
const environments: ProcessEnvironment[] = []

beforeAll(async () => {
  dataDirectory = await mkdtemp(path.join(tmpdir(), 'ndtest-process-'))
})

afterAll(async () => {
  await rm(dataDirectory, { recursive: true, force: true })
})

async function newServer(): Promise<string> {
  const id = `ndtest-${randomUUID()}`
  await mkdir(path.join(dataDirectory, id))
  return id
}

function newFactory(): ProcessEnvironmentFactory {
  return new ProcessEnvironmentFactory({ dataDirectory, statsIntervalMs: 200 })
}

function track(env: ProcessEnvironment): ProcessEnvironment {
  environments.push(env)
  return env
}

/** Kills whatever a test left running, even after a failure. */
async function cleanup(): Promise<void> {
  await Promise.all(environments.splice(0).map((env) => env.destroy()))
}

/** `gone`, or the state letter of /proc/<pid>/stat (`Z` for a killed process not yet reaped). */
async function processState(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  return stat === undefined ? 'gone' : (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '')
}

describeEnvironmentContract('ProcessEnvironment', {
  async make(options) {
    const id = await newServer()
    return track(newFactory().forServer(id, fakeServerSettings(id, FAKE_GAME_SERVER, options)))
  },
  cleanup,
})

describe('ProcessEnvironment', { timeout: 30_000 }, () => {
  afterEach(cleanup)

  async function startServer(
    invocation: string,
    options: FakeServerSettingsOptions = {},
  ): Promise<{ id: string; env: ProcessEnvironment; rec: EnvironmentRecorder }> {
    const id = await newServer()
    const env = track(newFactory().forServer(id, fakeServerSettings(id, invocation, options)))
    const rec = new EnvironmentRecorder(env)
    await env.start()
    return { id, env, rec }
  }

  it('fills {{VAR}} placeholders from the variables, without running their values as shell', async () => {
    const { id, rec } = await startServer('echo "port={{SERVER_PORT}} jar={{JAR}}" {{EVIL}}', {
      variables: { JAR: 'paper.jar', EVIL: '$(touch pwned); echo injected' },
    })

    expect(await rec.line('port=')).toBe('port=25565 jar=paper.jar $(touch pwned); echo injected')
    await rec.exit()
    await expect(access(path.join(dataDirectory, id, 'pwned'))).rejects.toThrow()
  })

  it("runs in the server's directory, with HOME there and none of the daemon's variables", async () => {
    const { id, env, rec } = await startServer(FAKE_GAME_SERVER)
    await rec.line(FAKE_GAME_SERVER_DONE)

    await env.sendCommand('run pwd; echo "home=$HOME"')
    await env.sendCommand('env')
    await rec.line(/^TZ=/)

    expect(rec.lines).toContain(path.join(dataDirectory, id))
    expect(rec.lines).toContain(`home=${path.join(dataDirectory, id)}`)
    expect(process.env.VITEST).toBeDefined()
    expect(rec.lines.some((l) => l.startsWith('VITEST='))).toBe(false)
  })

  it('reports the exit code of a one-shot command and keeps its output for the log tail', async () => {
    const { env, rec } = await startServer('echo first; echo second >&2; exit 7')

    const exit = await rec.exit()

    expect(exit).toEqual({ exitCode: 7, oomKilled: false })
    expect(rec.lines).toEqual(expect.arrayContaining(['first', 'second']))
    expect(await env.readLog(10)).toEqual(expect.arrayContaining(['first', 'second']))
  })

  it('kills what the server left running in the background once it exits', async () => {
    const { env, rec } = await startServer(FAKE_GAME_SERVER)
    await rec.line(FAKE_GAME_SERVER_DONE)

    await env.sendCommand('run sleep 1000 & echo "bg pid $!"')
    const pid = Number((await rec.line(/^bg pid \d+$/)).slice('bg pid '.length))
    await env.sendCommand('stop')
    await rec.exit()

    // SIGKILL is delivered asynchronously: allow the kernel a moment to finish the process.
    let state = await processState(pid)
    for (let i = 0; i < 40 && !/^(gone|Z)$/.test(state); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      state = await processState(pid)
    }
    expect(state).toMatch(/^(gone|Z)$/)
  })

  it('measures CPU and memory of the whole process tree', async () => {
    const { env, rec } = await startServer(FAKE_GAME_SERVER)
    await rec.line(FAKE_GAME_SERVER_DONE)

    await env.sendCommand('run i=0; while [ $i -lt 3000000 ]; do i=$((i+1)); done; echo busy done')
    await rec.until(
      () => rec.stats.some((s) => s.cpuAbsolute > 10),
      'a stats sample showing the busy loop',
    )

    const busy = rec.stats.find((s) => s.cpuAbsolute > 10)
    expect(busy?.memoryBytes).toBeGreaterThan(0)
    expect(busy?.network).toEqual({ rxBytes: 0, txBytes: 0 })
  })

  it('fails to create or start when the server directory is missing', async () => {
    const env = track(newFactory().forServer('ndtest-missing', fakeServerSettings('x', 'true')))

    await expect(env.create()).rejects.toThrow(/server directory/)
    await expect(env.start()).rejects.toThrow(/server directory/)
    expect(await env.isRunning()).toBe(false)
  })

  it('runs an install script in the server directory', async () => {
    const id = await newServer()
    const scripts = await mkdtemp(path.join(tmpdir(), 'ndtest-install-'))
    await writeFile(
      path.join(scripts, 'install.sh'),
      'echo "installing on port $SERVER_PORT"\necho done > installed.txt\n',
    )
    try {
      const settings = fakeServerSettings(id, 'true')
      const installer = track(
        newFactory().forInstaller(id, {
          image: 'unused',
          entrypoint: 'sh',
          scriptDirectory: scripts,
          variables: settings.variables,
          limits: settings.limits,
        }),
      )
      const rec = new EnvironmentRecorder(installer)

      await installer.start()

      expect(await rec.exit()).toEqual({ exitCode: 0, oomKilled: false })
      expect(rec.lines).toContain('installing on port 25565')
      expect(await readFile(path.join(dataDirectory, id, 'installed.txt'), 'utf8')).toBe('done\n')
    } finally {
      await rm(scripts, { recursive: true, force: true })
    }
  })

  it('stopAll stops every running process: by its stop, else killed after the grace', async () => {
    const factory = newFactory()
    const start = async (options: FakeServerSettingsOptions) => {
      const id = await newServer()
      const env = track(factory.forServer(id, fakeServerSettings(id, FAKE_GAME_SERVER, options)))
      const rec = new EnvironmentRecorder(env)
      await env.start()
      await rec.line(FAKE_GAME_SERVER_DONE)
      return { env, rec }
    }
    const polite = await start({})
    const stubborn = await start({ stop: { type: 'command', value: 'please-stop' } })
    await stubborn.env.sendCommand('ignore-signals')
    await stubborn.rec.line('ignoring SIGTERM and SIGINT')

    await factory.stopAll(300)

    expect(polite.rec.lines).toContain('Stopping the server')
    expect(await polite.rec.exit()).toEqual({ exitCode: 0, oomKilled: false })
    expect(stubborn.rec.lines).toContain('received: please-stop')
    expect(await stubborn.rec.exit()).toEqual({ exitCode: 137, oomKilled: false })
    expect(await polite.env.isRunning()).toBe(false)
    expect(await stubborn.env.isRunning()).toBe(false)
  })

  it('killAll kills every running process at once', async () => {
    const factory = newFactory()
    const id = await newServer()
    const env = track(factory.forServer(id, fakeServerSettings(id, FAKE_GAME_SERVER)))
    const rec = new EnvironmentRecorder(env)
    await env.start()
    await rec.line(FAKE_GAME_SERVER_DONE)

    await factory.killAll()

    expect(await rec.exit()).toEqual({ exitCode: 137, oomKilled: false })
    expect(rec.lines).not.toContain('Stopping the server')
  })

  it('rejects server ids that are not plain directory names', () => {
    const factory = newFactory()

    expect(() => factory.forServer('../etc', fakeServerSettings('x', 'true'))).toThrow(RangeError)
    expect(() => factory.forServer('a/b', fakeServerSettings('x', 'true'))).toThrow(RangeError)
  })
})
