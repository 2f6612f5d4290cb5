import { writeFile } from 'node:fs/promises'
import path from 'node:path'

import { formatNotice, NOTICES } from '@node/power'
import { buildServerConfiguration } from '@node/server-state/testing'
import { ZERO_RESOURCE_SAMPLE } from '@node/server-state'
import { afterEach, describe, expect, it } from 'vitest'

import { createTestServers, until, type TestServers } from './testing/index.js'

const UUID = '718293a4-0000-4000-8000-000000000001'
const MIB = 1024 * 1024
let t: TestServers | undefined

afterEach(async () => {
  await t?.[Symbol.asyncDispose]()
  t = undefined
})

/** A running server with a 1 MiB limit whose process wrote `bytes` behind the jail's back. */
async function runningServerThatWrote(bytes: number) {
  const base = buildServerConfiguration(UUID)
  t = await createTestServers({
    configurations: [
      buildServerConfiguration(UUID, {
        settings: { build: { ...base.settings.build, diskSpace: 1 } },
      }),
    ],
    settings: { diskCheckIntervalMs: 1 },
  })
  await t.servers.load()
  const hosted = t.servers.get(UUID)!
  const environment = t.environments.latest(UUID)!
  const lines: string[] = []
  hosted.server.events.subscribe('console output', (line) => lines.push(line))
  await hosted.runtime.power('start')
  await writeFile(path.join(t.dataDirectory, UUID, 'world.dat'), Buffer.alloc(bytes))
  await hosted.jail.diskUsage('fresh')
  const sample = () => environment.emit('stats', { ...ZERO_RESOURCE_SAMPLE, memoryBytes: 1 })
  return { hosted, environment, lines, sample }
}

describe('watchDiskLimit', () => {
  it('stops a running server over its limit, with the notice, once per run', async () => {
    const { hosted, environment, lines, sample } = await runningServerThatWrote(2 * MIB)

    // Two samples before the stop has begun: still one notice and one stop.
    sample()
    sample()
    await until('the stop', () => hosted.server.state === 'offline')
    sample()

    const notice = formatNotice('Pterodactyl', NOTICES.diskExceeded)
    expect(lines.filter((line) => line === notice)).toHaveLength(1)
    expect(environment.calls.filter((call) => call === 'stop')).toHaveLength(1)
  })

  it('leaves a server under its limit running', async () => {
    const { hosted, environment, sample } = await runningServerThatWrote(MIB / 2)

    sample()
    sample()

    expect(hosted.server.state).toBe('starting')
    expect(environment.calls).not.toContain('stop')
  })
})
