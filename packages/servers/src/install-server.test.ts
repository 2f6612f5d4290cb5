import { buildServerConfiguration } from '@node/server-state/testing'
import { afterEach, describe, expect, it } from 'vitest'

import { createTestServers, until, type TestServers } from './testing/index.js'

const UUID = '4e5f6071-0000-4000-8000-000000000001'
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

describe('InstallServer', () => {
  it('syncs with the Panel, then runs the install script and reports it', async () => {
    const t = await loaded()
    const hosted = t.servers.get(UUID)!
    t.panel.putServer(buildServerConfiguration(UUID, { settings: { suspended: true } }))

    t.install.install(hosted)

    await until('the report', () => t.panel.installationStatuses.length === 1)
    expect(hosted.server.isSuspended).toBe(true)
    expect(t.panel.installationStatuses[0]).toEqual({
      uuid: UUID,
      status: { successful: true, reinstall: false },
    })
  })

  it('stops a running server before a reinstall, and reports it as one', async () => {
    const t = await loaded()
    const hosted = t.servers.get(UUID)!
    await hosted.runtime.power('start')

    t.install.reinstall(hosted)

    await until('the report', () => t.panel.installationStatuses.length === 1)
    expect(t.environments.latest(UUID)!.calls).toContain('stop')
    expect(t.panel.installationStatuses[0]?.status.reinstall).toBe(true)
    expect(hosted.server.state).toBe('offline')
  })

  it('logs a failed sync on the server and installs nothing', async () => {
    const t = await loaded()
    t.panel.removeServer(UUID)

    t.install.install(t.servers.get(UUID)!)

    await until('the failure logged', () =>
      t.logger.records.some((r) => r.level === 'error' && r.fields['server_id'] === UUID),
    )
    expect(t.environments.installers).toHaveLength(0)
  })
})

describe('InstallServer.log', () => {
  it("reads the script output of the server's last install, undefined before any", async () => {
    const t = await loaded()
    const hosted = t.servers.get(UUID)!
    const before = await t.install.log(hosted)

    t.install.install(hosted)
    await until('the report', () => t.panel.installationStatuses.length === 1)

    expect(before).toBeUndefined()
    expect(await t.install.log(hosted)).toMatch(/Script Exit Code/)
  })
})
