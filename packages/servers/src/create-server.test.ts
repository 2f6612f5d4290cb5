import { stat } from 'node:fs/promises'
import path from 'node:path'

import { buildServerConfiguration } from '@node/server-state/testing'
import { isDaemonError } from '@node/shared-kernel'
import { afterEach, describe, expect, it } from 'vitest'

import { createTestServers, until, type TestServers } from './testing/index.js'

const UUID = '1b2c3d4e-0000-4000-8000-000000000001'
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

/** A node without servers; the Panel knows UUID, which it is about to create. */
async function empty(): Promise<TestServers> {
  t = await createTestServers()
  await t.servers.load()
  t.panel.putServer(buildServerConfiguration(UUID))
  return t
}

describe('CreateServer', () => {
  it('hosts the server, runs its install, reports it and starts it when asked', async () => {
    const t = await empty()

    await t.create.execute(UUID, true)

    const hosted = t.servers.get(UUID)!
    await until('the start after the install', () => hosted.server.state === 'starting')
    expect(t.environments.latest(UUID)!.calls.slice(0, 2)).toEqual(['create', 'configure'])
    expect(t.environments.installers).toHaveLength(1)
    expect(t.panel.installationStatuses).toEqual([
      { uuid: UUID, status: { successful: true, reinstall: false } },
    ])
  })

  it('does not start after a failed install', async () => {
    const t = await empty()
    t.environments.install = (env) => env.exit(7)

    await t.create.execute(UUID, true)

    await until('the install report', () => t.panel.installationStatuses.length === 1)
    expect(t.panel.installationStatuses[0]?.status.successful).toBe(false)
    expect(t.servers.get(UUID)!.server.state).toBe('offline')
  })

  it('syncs a server it hosts already instead of making a second one', async () => {
    const t = await loaded()
    const before = t.servers.get(UUID)
    t.panel.putServer(buildServerConfiguration(UUID, { settings: { suspended: true } }))

    await t.create.execute(UUID, false)

    expect(t.servers.get(UUID)).toBe(before)
    expect(before!.server.isSuspended).toBe(true)
    expect(t.environments.made).toHaveLength(1)
  })

  it('loses to a DELETE while the Panel is still answering: nothing is left', async () => {
    const t = await empty()
    let answer = (): void => undefined
    t.panel.beforeCall = (call) =>
      call.method === 'getServerConfiguration'
        ? new Promise<void>((resolve) => (answer = resolve))
        : undefined

    const creating = t.create.execute(UUID, false).catch((err: unknown) => err)
    await until('the Panel call', () => t.panel.calls.length > 1)
    const cancelled = t.create.cancel(UUID)
    answer()

    expect(await cancelled).toBe(true)
    const failure = await creating
    expect(failure).toBeInstanceOf(Error)
    expect(isDaemonError(failure)).toBe(false)
    expect(t.servers.get(UUID)).toBeUndefined()
    expect(t.environments.installers).toHaveLength(0)
    await expect(stat(path.join(t.dataDirectory, UUID))).rejects.toThrow()
  })

  it('answers a cancel of a uuid nobody creates with false', async () => {
    const t = await loaded()
    expect(await t.create.cancel(UUID)).toBe(false)
    expect(t.servers.get(UUID)).toBeDefined()
  })

  it('fails as a plain error (the generic 500) when the Panel does not know the server', async () => {
    const t = await loaded()
    const failure = await t.create
      .execute('1b2c3d4e-0000-4000-8000-000000000099', false)
      .catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(Error)
    expect(isDaemonError(failure)).toBe(false)
  })
})
