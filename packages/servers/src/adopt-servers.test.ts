import { buildServerConfiguration } from '@node/server-state/testing'
import { afterEach, describe, expect, it } from 'vitest'

import { adoptServers } from './adopt-servers.js'
import { createTestServers, type TestServers } from './testing/index.js'

const RUNNING = '5f607182-0000-4000-8000-000000000001'
const SHOULD_RUN = '5f607182-0000-4000-8000-000000000002'
const STOPPED = '5f607182-0000-4000-8000-000000000003'
let t: TestServers | undefined

afterEach(async () => {
  await t?.[Symbol.asyncDispose]()
  t = undefined
})

describe('adoptServers', () => {
  it('adopts a process that outlived the daemon and starts one that should run', async () => {
    t = await createTestServers({
      configurations: [RUNNING, SHOULD_RUN, STOPPED].map((uuid) => buildServerConfiguration(uuid)),
      savedStates: { [RUNNING]: 'running', [SHOULD_RUN]: 'running', [STOPPED]: 'offline' },
    })
    const saved = await t.servers.load()
    t.environments.latest(RUNNING)!.running = true

    await adoptServers(t.servers.all(), saved)

    const state = (uuid: string) => t!.servers.get(uuid)!.server.state
    expect(state(RUNNING)).toBe('running')
    expect(t.environments.latest(RUNNING)!.calls).toEqual(['attach'])
    expect(state(SHOULD_RUN)).toBe('starting')
    expect(t.environments.latest(SHOULD_RUN)!.calls).toContain('start')
    expect(state(STOPPED)).toBe('offline')
    expect(t.environments.latest(STOPPED)!.calls).toEqual([])
  })

  it('logs a server that fails to start and goes on with the others', async () => {
    t = await createTestServers({
      configurations: [SHOULD_RUN, RUNNING].map((uuid) => buildServerConfiguration(uuid)),
      savedStates: { [SHOULD_RUN]: 'running', [RUNNING]: 'running' },
    })
    const saved = await t.servers.load()
    t.environments.latest(SHOULD_RUN)!.beforeCall = (call) => {
      if (call === 'start') throw new Error('image gone')
    }

    await adoptServers(t.servers.all(), saved)

    expect(t.servers.get(RUNNING)!.server.state).toBe('starting')
    expect(
      t.logger.records.some(
        (r) => r.message === 'failed to restore the server state at boot' && r.level === 'error',
      ),
    ).toBe(true)
  })
})
