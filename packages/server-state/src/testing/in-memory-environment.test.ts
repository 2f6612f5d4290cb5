import { NotRunningError, isDaemonError } from '@node/shared-kernel'
import { describe, expect, it } from 'vitest'

import { environmentSettingsOf } from '../ports/environment.js'
import { buildServerConfiguration } from './build-server-configuration.js'
import { InMemoryEnvironmentFactory } from './in-memory-environment.js'

const UUID = '5f2c3a1e-0d4b-4c8e-9a7f-6b1e2d3c4f5a'
const settings = environmentSettingsOf(buildServerConfiguration(UUID), { timezone: 'UTC' })

describe('InMemoryEnvironment', () => {
  it('runs, prints, takes commands and exits as the test drives it', async () => {
    const env = new InMemoryEnvironmentFactory().forServer(UUID, settings)
    const events: string[] = []
    env.subscribe('running', () => events.push('running'))
    env.subscribe('output', (line) => events.push(`output ${line}`))
    env.subscribe('exited', (exit) => events.push(`exited ${exit.exitCode}`))

    await env.start()
    env.print('hello')
    await env.sendCommand('stop')
    await env.stop()

    expect(events).toEqual(['running', 'output hello', 'exited 0'])
    expect(env.commands).toEqual(['stop'])
    expect(await env.readLog(10)).toEqual(['hello'])
    expect(await env.isRunning()).toBe(false)
    expect(env.calls).toEqual(['start', 'stop'])
  })

  it('refuses a command when nothing runs, and kills a process that ignores a stop', async () => {
    const env = new InMemoryEnvironmentFactory().forServer(UUID, settings)
    const refused = await env.sendCommand('say hi').catch((err: unknown) => err)
    expect(isDaemonError(refused) && refused.code).toBe(new NotRunningError('').code)

    env.onStop = 'ignore'
    await env.start()
    await env.stop()
    expect(env.running).toBe(true)
    await env.waitForStop({ timeoutMs: 1000, kill: true })
    expect(await env.exitState()).toEqual({ exitCode: 137, oomKilled: false })
  })

  it('holds or fails a call through beforeCall, and stops waiting when the signal aborts', async () => {
    const env = new InMemoryEnvironmentFactory().forServer(UUID, settings)
    env.beforeCall = (call) => {
      if (call === 'create') throw new Error('engine down')
    }
    await expect(env.create()).rejects.toThrow('engine down')
    env.beforeCall = undefined
    await expect(env.start(AbortSignal.abort(new Error('deleted')))).rejects.toThrow('deleted')
    expect(env.running).toBe(false)
  })

  it('runs an install script that exits 0 unless the test scripts it otherwise', async () => {
    const factory = new InMemoryEnvironmentFactory()
    const installer = factory.forInstaller(UUID, {
      image: 'img',
      entrypoint: 'sh',
      scriptDirectory: '/tmp',
      variables: [],
      limits: settings.limits,
    })
    const exited = new Promise((resolve) => installer.subscribe('exited', resolve))
    await installer.start()
    expect(await exited).toEqual({ exitCode: 0, oomKilled: false })
    expect(installer.log).toEqual(['installed'])
  })
})
