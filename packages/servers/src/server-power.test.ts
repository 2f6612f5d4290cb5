import { isPowerLockBusyError } from '@node/power'
import { buildServerConfiguration } from '@node/server-state/testing'
import { afterEach, describe, expect, it } from 'vitest'

import { createTestServers, until, type TestServers } from './testing/index.js'

const UUID = '93a4b5c6-0000-4000-8000-000000000001'
let t: TestServers | undefined

afterEach(async () => {
  await t?.[Symbol.asyncDispose]()
  t = undefined
})

async function loaded() {
  t = await createTestServers({ configurations: [buildServerConfiguration(UUID)] })
  await t.servers.load()
  return { t, hosted: t.servers.get(UUID)! }
}

describe('ServerPower', () => {
  it('runs an action in the background with the lock wait asked, refusals logged as warnings', async () => {
    const { t, hosted } = await loaded()
    hosted.server.setInstalling(true)

    t.power.start(hosted, 'start', 0)

    await until('the refusal logged', () =>
      t.logger.records.some(
        (r) => r.level === 'warn' && r.message === 'failed to start the server',
      ),
    )
    expect(t.environments.latest(UUID)!.calls).not.toContain('start')
    hosted.server.setInstalling(false)
    const environment = t.environments.latest(UUID)!
    environment.beforeCall = (call) => (call === 'start' ? new Promise<void>(() => {}) : undefined)
    t.power.start(hosted, 'start', 0)
    await until('the start under way', () => environment.calls.includes('start'))

    t.power.start(hosted, 'stop', 0)

    await until('the busy lock logged', () =>
      t.logger.records.some((r) => r.level === 'warn' && r.message === 'failed to stop the server'),
    )
  })

  it('runs an action to its end for the websocket, refusing at once when the lock is held', async () => {
    const { t, hosted } = await loaded()
    const environment = t.environments.latest(UUID)!
    let release = (): void => undefined
    environment.beforeCall = (call) =>
      call === 'start' ? new Promise<void>((resolve) => (release = resolve)) : undefined
    const starting = t.power.run(hosted, 'start', 0)
    await until('the start under way', () => environment.calls.includes('start'))
    expect(t.power.isBusy(hosted)).toBe(true)

    const busy = await t.power.run(hosted, 'stop', 0).catch((err: unknown) => err)
    release()
    await starting

    expect(isPowerLockBusyError(busy)).toBe(true)
    expect(await t.power.isRunning(hosted)).toBe(true)
  })

  it('sends commands to the process and reads its log', async () => {
    const { t, hosted } = await loaded()
    await t.power.run(hosted, 'start', 0)
    const environment = t.environments.latest(UUID)!
    environment.print('hello')

    await t.power.sendCommands(hosted, ['say hi'])

    expect(environment.commands).toEqual(['say hi'])
    expect(await t.power.readLog(hosted, 10)).toEqual(['hello'])
  })
})
