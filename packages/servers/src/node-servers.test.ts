import { stat } from 'node:fs/promises'
import path from 'node:path'

import { buildServerConfiguration } from '@node/server-state/testing'
import { afterEach, describe, expect, it } from 'vitest'

import { createTestServers, type TestServers } from './testing/index.js'

const A = '0a1b2c3d-0000-4000-8000-00000000000a'
const B = '0a1b2c3d-0000-4000-8000-00000000000b'
let t: TestServers | undefined

afterEach(async () => {
  await t?.[Symbol.asyncDispose]()
  t = undefined
})

describe('NodeServers', () => {
  it('loads every server from the Panel, each with its directory, jail and runtime', async () => {
    t = await createTestServers({
      configurations: [buildServerConfiguration(A), buildServerConfiguration(B)],
      savedStates: { [A]: 'running', 'ffffffff-0000-4000-8000-000000000000': 'running' },
    })

    const saved = await t.servers.load()

    expect(t.servers.all().map((hosted) => hosted.uuid)).toEqual([A, B])
    expect([...saved]).toEqual([[A, 'running']])
    const a = t.servers.get(A)!
    expect((await stat(path.join(t.dataDirectory, A))).isDirectory()).toBe(true)
    expect(a.runtime.environment).toBe(t.environments.latest(A))
    expect(a.jail.quota.limitBytes).toBe(5120 * 1024 * 1024)
    expect(t.servers.of(a.server)).toBe(a)
  })

  it('skips a server the Panel sends broken and loads the others', async () => {
    t = await createTestServers({ configurations: [buildServerConfiguration(A)] })
    t.panel.putBrokenServer(B, new Error('malformed'))

    await t.servers.load()

    expect(t.servers.all().map((hosted) => hosted.uuid)).toEqual([A])
    expect(t.servers.get(B)).toBeUndefined()
  })

  it('saves the states and lets every server go when the daemon stops, processes left running', async () => {
    t = await createTestServers({ configurations: [buildServerConfiguration(A)] })
    await t.servers.load()
    const a = t.servers.get(A)!
    await a.runtime.power('start')

    await t.servers.close()

    expect(await t.stateStore.load()).toEqual({ [A]: 'starting' })
    expect(t.environments.latest(A)!.running).toBe(true)
    expect(t.environments.latest(A)!.calls).toContain('detach')
    expect(t.servers.all()).toEqual([])
  })
})
