import { stat } from 'node:fs/promises'
import path from 'node:path'

import { buildServerConfiguration } from '@node/server-state/testing'
import { afterEach, describe, expect, it } from 'vitest'

import type { HostedServer } from './hosted-server.js'
import { createTestServers, until, type TestServers } from './testing/index.js'

const UUID = '2c3d4e5f-0000-4000-8000-000000000001'
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

describe('DeleteServer', () => {
  it('suspends, tells the sockets, then removes the runtime, the jail and the files', async () => {
    const t = await loaded()
    const hosted = t.servers.get(UUID)!
    await hosted.runtime.power('start')
    const heard: string[] = []
    hosted.server.events.subscribe('deleted', () => heard.push('server deleted'))
    t.servers.events.on('deleted', (gone: HostedServer) => heard.push(`node deleted ${gone.uuid}`))

    await t.delete.execute(hosted)

    expect(heard).toEqual(['server deleted', `node deleted ${UUID}`])
    expect(hosted.server.isCancelled).toBe(true)
    expect(hosted.server.isSuspended).toBe(true)
    expect(t.servers.get(UUID)).toBeUndefined()
    const environment = t.environments.latest(UUID)!
    expect(environment.calls).toContain('destroy')
    expect(environment.running).toBe(false)
    await expect(hosted.jail.stat('.')).rejects.toThrow()
    await until('the files removed', () =>
      stat(path.join(t.dataDirectory, UUID)).then(
        () => false,
        () => true,
      ),
    )
  })

  it('waits for an install in flight, which stops, and removes what it made after', async () => {
    const t = await loaded()
    const hosted = t.servers.get(UUID)!
    t.environments.install = () => undefined
    t.install.install(hosted)
    await until('the install running', () => t.environments.installers[0]?.running === true)

    await t.delete.execute(hosted)

    expect(t.environments.installers[0]!.running).toBe(false)
    expect(t.panel.installationStatuses).toEqual([])
    expect(t.servers.get(UUID)).toBeUndefined()
  })

  it('runs once for two deletes of the same server', async () => {
    const t = await loaded()
    const hosted = t.servers.get(UUID)!

    await Promise.all([t.delete.execute(hosted), t.delete.execute(hosted)])

    expect(t.environments.latest(UUID)!.calls.filter((c) => c === 'destroy')).toHaveLength(1)
  })
})
