import { chown, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { configValueResolverFrom } from '@node/config-files'
import { formatNotice, NOTICES } from '@node/power'
import { buildServerConfiguration } from '@node/server-state/testing'
import { isDaemonError } from '@node/shared-kernel'
import { afterEach, describe, expect, it } from 'vitest'

import { createTestServers, type TestServers } from './testing/index.js'

const UUID = '8293a4b5-0000-4000-8000-000000000001'
const base = buildServerConfiguration(UUID)
let t: TestServers | undefined

afterEach(async () => {
  await t?.[Symbol.asyncDispose]()
  t = undefined
})

async function serverWith(overrides: Parameters<typeof buildServerConfiguration>[1]) {
  t = await createTestServers({
    configurations: [buildServerConfiguration(UUID, overrides)],
    settings: { configValues: configValueResolverFrom({ docker: { interface: '172.18.0.1' } }) },
  })
  await t.servers.load()
  const hosted = t.servers.get(UUID)!
  const lines: string[] = []
  hosted.server.events.subscribe('console output', (line) => lines.push(line))
  return { t, hosted, lines }
}

describe('startPreflight', () => {
  it('hands every file to the server user before a start when fixPermissionsOnStart is set', async () => {
    for (const fix of [true, false]) {
      t = await createTestServers({
        configurations: [buildServerConfiguration(UUID)],
        settings: { fixPermissionsOnStart: fix, user: { uid: 988, gid: 988 } },
      })
      await t.servers.load()
      const file = path.join(t.dataDirectory, UUID, 'made-by-root.txt')
      await writeFile(file, 'x')
      await chown(file, 0, 0)

      await t.servers.get(UUID)!.runtime.power('start')

      expect((await stat(file)).uid).toBe(fix ? 988 : 0)
      await t[Symbol.asyncDispose]()
      t = undefined
    }
  })

  it('refuses to start a server over its disk limit, after the notice', async () => {
    const { t, hosted, lines } = await serverWith({
      settings: { build: { ...base.settings.build, diskSpace: 1 } },
    })
    await hosted.jail.writeFile('world.dat', Buffer.alloc(1024 * 1024))
    t.panel.putServer(
      buildServerConfiguration(UUID, {
        settings: { build: { ...base.settings.build, diskSpace: 0.5 } },
      }),
    )

    const failure = await hosted.runtime.power('start').catch((err: unknown) => err)

    expect(isDaemonError(failure) && failure.code).toBe('QUOTA_EXCEEDED')
    expect(lines).toContain(formatNotice('Pterodactyl', NOTICES.diskCheck))
    expect(t.environments.latest(UUID)!.running).toBe(false)
  })

  it("rewrites the egg's configuration files through the jail before the start", async () => {
    const { hosted } = await serverWith({
      process: {
        ...base.process,
        configs: [
          {
            parser: 'properties',
            file: 'server.properties',
            replace: [
              {
                match: 'server-ip',
                ifValue: undefined,
                replaceWith: '{{config.docker.interface}}',
              },
            ],
          },
        ],
      },
    })
    await hosted.jail.writeFile('server.properties', 'server-ip=0.0.0.0\n')

    await hosted.runtime.power('start')

    const { stream } = await hosted.jail.openRead('server.properties')
    const text = (await stream.toArray()).join('')
    expect(text).toContain('server-ip=172.18.0.1')
  })

  it('words a failed sync as the reference does, and never starts', async () => {
    const { t, hosted } = await serverWith({})
    t.panel.failNext('getServerConfiguration', new Error('connect ECONNREFUSED'))

    const failure = await hosted.runtime.power('start').catch((err: unknown) => err)

    expect((failure as Error).message).toBe(
      'unable to sync server data from Panel instance: connect ECONNREFUSED',
    )
    expect(t.environments.latest(UUID)!.calls).not.toContain('start')
  })
})
