import { buildServerConfiguration } from '@node/server-state/testing'
import { isDaemonError } from '@node/shared-kernel'
import { afterEach, describe, expect, it } from 'vitest'

import type { HostedServer } from './hosted-server.js'
import { createTestServers, until, type TestServers } from './testing/index.js'

const UUID = '3d4e5f60-0000-4000-8000-000000000001'
let t: TestServers | undefined

afterEach(async () => {
  await t?.[Symbol.asyncDispose]()
  t = undefined
})

async function loaded(): Promise<TestServers> {
  t = await createTestServers({ configurations: [buildServerConfiguration(UUID)] })
  await t.servers.load()
  return t
}

const base = buildServerConfiguration(UUID)

describe('SyncServer', () => {
  it('applies the new limits, deny list and runtime settings in place', async () => {
    const t = await loaded()
    const hosted = t.servers.get(UUID)!
    t.panel.putServer(
      buildServerConfiguration(UUID, {
        settings: {
          build: { ...base.settings.build, diskSpace: 10, memoryLimit: 2048 },
          egg: { id: 'egg-1', fileDenylist: ['*.secret'] },
        },
      }),
    )

    await t.sync.execute(hosted)

    expect(hosted.jail.quota.limitBytes).toBe(10 * 1024 * 1024)
    await expect(hosted.jail.writeFile('a.secret', 'x')).rejects.toThrow()
    const environment = t.environments.latest(UUID)!
    expect(environment.settings.limits.memoryLimit).toBe(2048)
    expect(environment.calls).toEqual(['configure', 'updateResources'])
  })

  it('tells the capabilities of a suspension and stops the running server', async () => {
    const t = await loaded()
    const hosted = t.servers.get(UUID)!
    await hosted.runtime.power('start')
    const suspended: HostedServer[] = []
    t.servers.events.on('suspended', (server) => suspended.push(server))
    t.panel.putServer(buildServerConfiguration(UUID, { settings: { suspended: true } }))

    await t.sync.execute(hosted)

    expect(suspended).toEqual([hosted])
    await until('the stop', () => hosted.server.state === 'offline')
    expect(t.environments.latest(UUID)!.calls).toContain('stop')
  })

  it('fails as a plain error, also when the Panel no longer knows the server', async () => {
    const t = await loaded()
    t.panel.removeServer(UUID)

    const failure = await t.sync.execute(t.servers.get(UUID)!).catch((err: unknown) => err)

    expect(failure).toBeInstanceOf(Error)
    expect(isDaemonError(failure)).toBe(false)
    expect(isDaemonError((failure as Error).cause)).toBe(true)
  })
})
